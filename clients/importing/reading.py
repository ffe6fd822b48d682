"""Reading a clients CSV from a byte stream, one line at a time: decoding, the separator, the header, the records.

Two passes over the same (seekable) file keep memory flat whatever its size: ``scan`` checks the header and finds
the references that appear on several lines, then ``records`` yields each record with the line it starts on. Only
one line, one record and the set of references are held at once; a line longer than ``MAX_LINE_BYTES`` and a cell
longer than the csv module's field limit make the file unusable.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from clients.importing.report import RowProblem
from clients.spreadsheet import cell_unguard

REQUIRED_COLUMNS = ("external_ref", "name")
COLUMNS = (
    "external_ref",
    "name",
    "email",
    "phone",
    "language",
    "time_zone",
    "services",
    "buckets",
    "account",
    "region",
    "network",
    "plan",
    "tags",
    "active",
    "email_consent",
    "sms_consent",
)
ATTRIBUTE_PREFIX = "attr_"
MAX_LINE_BYTES = 1024 * 1024
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_LONE_CR = re.compile(r"(?<=\r)(?!\n)")


class FileError(ValueError):
    """The whole file is unusable; nothing is imported."""


@dataclass
class Scan:
    """What the first pass learnt: the columns, the separator, and the lines of each repeated reference."""

    columns: list[str]
    delimiter: str
    duplicated: dict[str, list[int]] = field(default_factory=dict)
    # Every reference the file names, good row or not (a sync deactivates the clients it does not name).
    refs: set[str] = field(default_factory=set)


def _text_lines(stream: BinaryIO) -> Iterator[str]:
    """Decoded lines ending as the csv module expects (``\\n``, ``\\r\\n`` or a lone ``\\r``), without the BOM."""
    physical = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        physical += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise FileError(f"line {physical} is longer than {MAX_LINE_BYTES // 1024} KB")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FileError(f"the file is not UTF-8 (line {physical}); save it as CSV UTF-8") from None
        if physical == 1:
            text = text.removeprefix("\ufeff")
        if "\r" in text:
            yield from (part for part in _LONE_CR.split(text) if part)
        else:
            yield text


def sniff_delimiter(header: str) -> str:
    """Comma or semicolon, whichever the header line uses more (spreadsheets in French locales write ';')."""
    return ";" if header.count(";") > header.count(",") else ","


def _header(cells: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    if not any(columns):
        raise FileError("the first line must name the columns (external_ref, name, …)")
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise FileError(f"column {column[:80]!r} appears twice")
        seen.add(column)
        if column.startswith(ATTRIBUTE_PREFIX):
            key = column[len(ATTRIBUTE_PREFIX) :]
            if not _ATTRIBUTE_KEY.match(key) or "__" in key:
                raise FileError(f"column {column[:80]!r}: attribute names use letters, digits and _")
        elif column not in COLUMNS:
            raise FileError(f"unknown column {column[:80]!r} (known: {', '.join(COLUMNS)}, attr_<key>)")
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        raise FileError(f"required column(s) missing: {', '.join(missing)}")
    return columns


def _reader(stream: BinaryIO) -> tuple[Iterator[list[str]], str, str]:
    """A csv reader positioned on the header, the header line and the separator; raises FileError."""
    stream.seek(0)
    lines = _text_lines(stream)
    first = next(lines, None)
    if first is None or (not first.strip() and not any(line.strip() for line in lines)):
        raise FileError("the file is empty")
    delimiter = sniff_delimiter(first)
    return csv.reader(itertools.chain([first], lines), delimiter=delimiter), first, delimiter


def _rows(reader: Iterator[list[str]], width: int) -> Iterator[tuple[int, list[str]] | RowProblem]:
    """Each non-blank record with the line it starts on, or the problem of a record with too many cells."""
    line = getattr(reader, "line_num", 1)
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise FileError(f"line {getattr(reader, 'line_num', start)}: {error}") from None
        line = getattr(reader, "line_num", start)
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            yield RowProblem(start, cells[0].strip()[:64], f"{len(cells)} cells but {width} columns")
            continue
        yield start, cells


def scan(stream: BinaryIO) -> Scan:
    """First pass: the header, then every reference and the lines it appears on; raises FileError."""
    reader, _first, delimiter = _reader(stream)
    try:
        columns = _header(next(reader))
    except csv.Error as error:
        raise FileError(f"line 1: {error}") from None
    result = Scan(columns=columns, delimiter=delimiter)
    position = columns.index("external_ref")
    first_line: dict[str, int] = {}
    for item in _rows(reader, len(columns)):
        if isinstance(item, RowProblem):
            continue
        start, cells = item
        ref = cell_unguard(cells[position]).strip() if position < len(cells) else ""
        if ref in first_line:
            result.duplicated.setdefault(ref, [first_line[ref]]).append(start)
        else:
            first_line[ref] = start
    result.refs = set(first_line)
    return result


def records(stream: BinaryIO, found: Scan) -> Iterator[tuple[int, dict[str, str]] | RowProblem]:
    """Second pass: each record as {column: cell} with its line, or the problem of a record with too many cells."""
    reader, _first, _delimiter = _reader(stream)
    next(reader)
    width = len(found.columns)
    for item in _rows(reader, width):
        if isinstance(item, RowProblem):
            yield item
            continue
        start, cells = item
        yield start, dict(zip(found.columns, cells + [""] * (width - len(cells)), strict=False))

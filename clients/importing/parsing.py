"""Reading a clients CSV: decode, find the separator, check the header, and turn each row into checked values.

Nothing here touches the database. A row either becomes a ``ParsedRow`` or a ``RowProblem`` naming its line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from clients.importing.report import RowProblem
from clients.services import (
    ClientValueError,
    email_normalize,
    language_normalize,
    phone_normalize,
    services_parse,
)

REQUIRED_COLUMNS = ("external_ref", "name")
COLUMNS = (
    "external_ref",
    "name",
    "email",
    "phone",
    "language",
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
LIST_SEPARATOR = "|"
MAX_LENGTHS = {
    "external_ref": 64,
    "name": 200,
    "account": 200,
    "email": 254,
    "region": 100,
    "network": 100,
    "plan": 100,
}
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_NUMBER = re.compile(r"^-?(0|[1-9][0-9]{0,14})(\.[0-9]+)?$")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TRUE = {"1", "true", "yes", "y", "on", "oui", "ja"}
_FALSE = {"0", "false", "no", "n", "off", "non", "nein"}


class FileError(ValueError):
    """The whole file is unusable; nothing is imported."""


@dataclass
class ParsedRow:
    line: int
    external_ref: str
    # Client fields given in the file (a missing column leaves the stored value alone).
    values: dict[str, object] = field(default_factory=dict)
    # Attributes to set; a key mapped to None is removed.
    attributes: dict[str, object] = field(default_factory=dict)
    buckets: list[str] = field(default_factory=list)
    # Consent per channel as the file states it: True, False, or absent.
    consent: dict[str, bool] = field(default_factory=dict)


@dataclass
class ParsedFile:
    rows: list[ParsedRow]
    errors: list[RowProblem]
    columns: list[str]


def decode(data: bytes) -> str:
    """UTF-8 text with or without a byte order mark."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileError(f"the file is not UTF-8 (line {line}); save it as CSV UTF-8") from None


def sniff_delimiter(text: str) -> str:
    """Comma or semicolon, whichever the header line uses more (spreadsheets in French locales write ';')."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _header(cells: list[str]) -> list[str]:
    columns = [cell.strip().lower() for cell in cells]
    if not any(columns):
        raise FileError("the first line must name the columns (external_ref, name, …)")
    seen: set[str] = set()
    for column in columns:
        if column in seen:
            raise FileError(f"column {column!r} appears twice")
        seen.add(column)
        if column.startswith(ATTRIBUTE_PREFIX):
            key = column[len(ATTRIBUTE_PREFIX) :]
            if not _ATTRIBUTE_KEY.match(key) or "__" in key:
                raise FileError(f"column {column!r}: attribute names use letters, digits and _")
        elif column not in COLUMNS:
            raise FileError(f"unknown column {column!r} (known: {', '.join(COLUMNS)}, attr_<key>)")
    missing = [column for column in REQUIRED_COLUMNS if column not in seen]
    if missing:
        raise FileError(f"required column(s) missing: {', '.join(missing)}")
    return columns


def _unquote(cell: str) -> str:
    """Undo the export's guard against spreadsheet formulas ("'+336…" back to "+336…")."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in _FORMULA_STARTS else cell


def _flag(text: str, column: str) -> bool | None:
    value = text.strip().lower()
    if not value:
        return None
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ClientValueError(f"{column} must be yes or no, not {text.strip()!r}")


def _attribute_value(text: str) -> object:
    value = text.strip()
    if not value:
        return None
    if _NUMBER.match(value):
        return float(value) if "." in value else int(value)
    return value


def _split_list(text: str) -> list[str]:
    items: list[str] = []
    for item in text.split(LIST_SEPARATOR):
        item = item.strip()
        if item and item not in items:
            items.append(item)
    return items


def _row(line: int, record: dict[str, str]) -> ParsedRow:
    """Check one record; raises ``ClientValueError`` with the first reason the row cannot be used."""
    ref = record["external_ref"].strip()
    row = ParsedRow(line=line, external_ref=ref)
    if not ref:
        raise ClientValueError("external_ref is empty")
    for column, limit in MAX_LENGTHS.items():
        if column in record and len(record[column].strip()) > limit:
            raise ClientValueError(f"{column} is longer than {limit} characters")
    name = record["name"].strip()
    if not name:
        raise ClientValueError("name is empty")
    row.values["name"] = name
    for column in ("account", "region", "network", "plan"):
        if column in record:
            row.values[column] = record[column].strip()
    if "email" in record:
        row.values["email"] = email_normalize(record["email"])
    if "phone" in record:
        row.values["phone"] = phone_normalize(record["phone"])
    if "language" in record and record["language"].strip():
        row.values["language"] = language_normalize(record["language"])
    if "services" in record:
        row.values["uses_sms_service"], row.values["uses_email_service"] = services_parse(record["services"])
    if "tags" in record:
        row.values["tags"] = _split_list(record["tags"])
    if "active" in record:
        active = _flag(record["active"], "active")
        if active is not None:
            row.values["is_active"] = active
    for channel in ("email", "sms"):
        column = f"{channel}_consent"
        if column in record:
            given = _flag(record[column], column)
            if given is not None:
                row.consent[channel] = given
    if "buckets" in record:
        row.buckets = _split_list(record["buckets"])
        for bucket in row.buckets:
            if len(bucket) > 100:
                raise ClientValueError("a bucket name is longer than 100 characters")
    for column, text in record.items():
        if column.startswith(ATTRIBUTE_PREFIX):
            row.attributes[column[len(ATTRIBUTE_PREFIX) :]] = _attribute_value(text)
    return row


def parse(data: bytes) -> ParsedFile:
    """Every row checked; rows sharing a reference are all refused (which one is right cannot be known)."""
    text = decode(data)
    if not text.strip():
        raise FileError("the file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        columns = _header(next(reader))
    except csv.Error as error:
        raise FileError(f"line 1: {error}") from None
    rows: list[ParsedRow] = []
    errors: list[RowProblem] = []
    first_line: dict[str, int] = {}
    duplicated: dict[str, list[int]] = {}
    line = reader.line_num
    width = len(columns)
    while True:
        start = line + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise FileError(f"line {reader.line_num}: {error}") from None
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            errors.append(RowProblem(start, cells[0].strip()[:64], f"{len(cells)} cells but {width} columns"))
            continue
        cells = [_unquote(cell) for cell in cells]
        record = dict(zip(columns, cells + [""] * (width - len(cells)), strict=False))
        ref = record["external_ref"].strip()
        if ref in first_line:
            duplicated.setdefault(ref, [first_line[ref]]).append(start)
        else:
            first_line[ref] = start
        try:
            rows.append(_row(start, record))
        except ClientValueError as error:
            errors.append(RowProblem(start, ref[:64], str(error)))
    if duplicated:
        for ref, lines in duplicated.items():
            reason = f"reference {ref!r} appears on lines {', '.join(map(str, lines))}"
            errors.extend(RowProblem(at, ref, reason) for at in lines)
        bad = {(ref, at) for ref, lines in duplicated.items() for at in lines}
        rows = [row for row in rows if (row.external_ref, row.line) not in bad]
        errors = _dedupe(errors)
    errors.sort(key=lambda problem: problem.line)
    return ParsedFile(rows=rows, errors=errors, columns=columns)


def _dedupe(errors: list[RowProblem]) -> list[RowProblem]:
    """One problem per line: a duplicate reference explains the line better than its other faults."""
    by_line: dict[int, RowProblem] = {}
    for problem in errors:
        if problem.line not in by_line or problem.reason.startswith("reference "):
            by_line[problem.line] = problem
    return list(by_line.values())

"""Checking each record of a clients CSV: every cell becomes a typed value, or the row is refused with a reason.

Nothing here touches the database. ``checked_rows`` walks the records ``clients.importing.reading`` yields and
turns each into a ``ParsedRow`` or a ``RowProblem`` naming its line; rows sharing a reference are all refused
(which one is right cannot be known).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from clients.importing.reading import ATTRIBUTE_PREFIX, COLUMNS, REQUIRED_COLUMNS, FileError, Scan, records
from clients.importing.report import RowProblem
from clients.services import (
    ClientValueError,
    email_normalize,
    language_normalize,
    phone_normalize,
    services_parse,
    time_zone_normalize,
)
from clients.spreadsheet import cell_unguard

__all__ = ["ATTRIBUTE_PREFIX", "COLUMNS", "REQUIRED_COLUMNS", "FileError", "ParsedRow", "checked_rows"]
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
_NUMBER = re.compile(r"^-?(0|[1-9][0-9]{0,14})(\.[0-9]+)?$")
_TRUE = {"1", "true", "yes", "y", "on", "oui", "ja"}
_FALSE = {"0", "false", "no", "n", "off", "non", "nein"}


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
    if "time_zone" in record:
        row.values["time_zone"] = time_zone_normalize(record["time_zone"])
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


def checked_rows(stream: BinaryIO, found: Scan) -> Iterator[ParsedRow | RowProblem]:
    """Each record of the second pass, checked, in file order; a repeated reference refuses each of its lines."""
    for item in records(stream, found):
        if isinstance(item, RowProblem):
            yield item
            continue
        start, record = item
        record = {column: cell_unguard(cell) for column, cell in record.items()}
        ref = record["external_ref"].strip()
        nul = next((column for column, cell in record.items() if "\x00" in cell), None)
        if nul is not None:  # PostgreSQL stores no NUL: refused here, not by the database
            yield RowProblem(start, ref.replace("\x00", "")[:64], f"{nul} holds a NUL character")
            continue
        lines = found.duplicated.get(ref)
        if lines:
            yield RowProblem(start, ref[:64], f"reference {ref[:64]!r} appears on lines {', '.join(map(str, lines))}")
            continue
        try:
            yield _row(start, record)
        except ClientValueError as error:
            yield RowProblem(start, ref[:64], str(error))

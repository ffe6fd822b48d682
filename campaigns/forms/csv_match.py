"""A pasted or uploaded list of external references, phone numbers or emails, matched to existing clients."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.functions import Lower

from clients.models import Client

MAX_ROWS = 50_000


@dataclass
class CsvMatch:
    client_ids: list[int] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    rows: int = 0


def _values(raw: bytes) -> list[str]:
    text = raw.decode("utf-8-sig", errors="replace")
    values: list[str] = []
    for row in csv.reader(io.StringIO(text)):
        cell = next((c.strip() for c in row if c.strip()), "")
        if cell:
            values.append(cell)
    # A header row names a column rather than a client.
    if values and values[0].lower() in {"external_ref", "reference", "phone", "email", "ref", "id"}:
        values = values[1:]
    return values[:MAX_ROWS]


def _normal_phone(value: str) -> str:
    """'+33 6 12 34 56 78' and '0033612345678' both read as '+33612345678' (numbers are stored in E.164)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    return "+" + (digits[2:] if value.strip().startswith("00") else digits)


def csv_match_clients(raw: bytes) -> CsvMatch:
    """Match each row's first cell to a client by external reference, email or phone (case-insensitive email)."""
    values = list(dict.fromkeys(_values(raw)))
    emails = [v.lower() for v in values if "@" in v]
    phones = [_normal_phone(v) for v in values if "@" not in v and sum(ch.isdigit() for ch in v) >= 6]
    refs = [v for v in values if "@" not in v]
    found = (
        Client.objects.annotate(email_lower=Lower("email"))
        .filter(Q(external_ref__in=refs) | Q(email_lower__in=emails) | Q(phone__in=phones))
        .values_list("pk", "external_ref", "email", "phone")
    )
    by_key: dict[str, int] = {}
    for pk, ref, email, phone in found:
        by_key.setdefault(ref, pk)
        if email:
            by_key.setdefault(email.lower(), pk)
        if phone:
            by_key.setdefault(phone, pk)
    match = CsvMatch(rows=len(values))
    for value in values:
        found_pk = by_key.get(value) or by_key.get(value.lower()) or by_key.get(_normal_phone(value))
        if found_pk is None:
            match.unmatched.append(value)
        elif found_pk not in match.client_ids:
            match.client_ids.append(found_pk)
    return match

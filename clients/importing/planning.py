"""Planning one chunk of an import: what is stored for the rows it names, and what each row would change.

Only new or changed rows are planned for writing; an import withdraws consent where the file says no but never
gives it back, and bucket joins are planned only for memberships that do not exist yet.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from clients.deliverability import marks_for_new_addresses
from clients.importing.parsing import ParsedRow
from clients.importing.report import ImportReport
from clients.models import BucketMembership, Client
from clients.services import buckets_ensure

CHUNK = 5000
SOURCE = "import"
FIELDS = (
    "name",
    "account",
    "email",
    "phone",
    "language",
    "time_zone",
    "uses_sms_service",
    "uses_email_service",
    "region",
    "network",
    "plan",
    "tags",
    "is_active",
    "attributes",
)
CONSENT_FIELDS = (
    "email_consent",
    "email_opted_out_at",
    "email_opt_out_source",
    "sms_consent",
    "sms_opted_out_at",
    "sms_opt_out_source",
)
# Written with the rows: a new address in the file clears its bounce or unreachable mark (clients.deliverability).
MARK_FIELDS = ("email_bounced_at", "email_bounce_reason", "phone_unreachable_at", "phone_unreachable_reason")
DEFAULTS: dict[str, Any] = {
    "account": "",
    "email": "",
    "phone": "",
    "time_zone": "",
    "uses_sms_service": False,
    "uses_email_service": False,
    "region": "",
    "network": "",
    "plan": "",
    "tags": [],
    "is_active": True,
    "attributes": {},
    "email_consent": True,
    "email_opted_out_at": None,
    "email_opt_out_source": "",
    "sms_consent": True,
    "sms_opted_out_at": None,
    "sms_opt_out_source": "",
    "email_bounced_at": None,
    "email_bounce_reason": "",
    "phone_unreachable_at": None,
    "phone_unreachable_reason": "",
}


Outcome = Callable[[int, str, str], None]


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(refs: list[str]) -> dict[str, dict[str, Any]]:
    """The stored values of the clients the file names, keyed by reference (read in chunks)."""
    columns = ["id", "external_ref", *FIELDS, *CONSENT_FIELDS, *MARK_FIELDS]
    stored: dict[str, dict[str, Any]] = {}
    if connection.vendor != "postgresql":
        for chunk in chunks(refs, CHUNK):
            for values in Client.objects.filter(external_ref__in=chunk).order_by().values(*columns):
                stored[values["external_ref"]] = values
        return stored
    quote = connection.ops.quote_name
    sql = f"SELECT {', '.join(map(quote, columns))} FROM {quote(Client._meta.db_table)} WHERE external_ref = ANY(%s)"
    json_columns = [index for index, name in enumerate(columns) if name in ("tags", "attributes")]
    with connection.cursor() as cursor:
        for chunk in chunks(refs, CHUNK):
            cursor.execute(sql, [chunk])
            for row in cursor.fetchall():
                row = list(row)
                for index in json_columns:
                    if isinstance(row[index], str):
                        row[index] = json.loads(row[index])
                stored[row[1]] = dict(zip(columns, row, strict=True))
    return stored


def _memberships(client_ids: list[int], bucket_ids: list[int]) -> set[tuple[int, int]]:
    """Which of these clients already belong to which of these buckets."""
    pairs: set[tuple[int, int]] = set()
    if not bucket_ids or not client_ids:
        return pairs
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(BucketMembership._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT client_id, bucket_id FROM {table} WHERE bucket_id = ANY(%s) AND client_id = ANY(%s)",
                [bucket_ids, client_ids],
            )
            pairs.update(cursor.fetchall())
        return pairs
    for chunk in chunks(client_ids, CHUNK):
        pairs.update(
            BucketMembership.objects.filter(client_id__in=chunk, bucket_id__in=bucket_ids).values_list(
                "client_id", "bucket_id"
            )
        )
    return pairs


def _merge(row: ParsedRow, stored: dict[str, Any] | None) -> dict[str, Any]:
    current = dict(stored) if stored else {"language": settings.LANGUAGE_CODE, **DEFAULTS}
    merged = {**current, **row.values, "external_ref": row.external_ref}
    marks_for_new_addresses(merged, stored)
    if row.attributes:
        attributes: dict[str, Any] = dict(current["attributes"] or {})
        for key, value in row.attributes.items():
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
        merged["attributes"] = attributes
    return merged


def _apply_consent(row: ParsedRow, merged: dict[str, Any], now: datetime, report: ImportReport) -> list[str]:
    """Withdraw consent where the file says no; returns the channels withdrawn."""
    withdrawn = []
    for channel, given in row.consent.items():
        if given and not merged[f"{channel}_consent"]:
            report.consent_not_restored += 1
        elif not given and merged[f"{channel}_consent"]:
            merged.update(
                {f"{channel}_consent": False, f"{channel}_opted_out_at": now, f"{channel}_opt_out_source": SOURCE}
            )
            withdrawn.append(channel)
    return withdrawn


@dataclass
class Plan:
    """What the import writes: whole client rows (new or changed), consent withdrawals and bucket joins."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    withdrawals: list[tuple[str, str]] = field(default_factory=list)
    joins: list[tuple[str, int]] = field(default_factory=list)


def plan_chunk(rows: list[ParsedRow], report: ImportReport, *, dry_run: bool, on_outcome: Outcome | None) -> Plan:
    """What one chunk of rows writes; the report's counts grow by the chunk's."""
    now = timezone.now()
    stored = _existing([row.external_ref for row in rows])
    buckets, new_buckets = buckets_ensure(names={name for row in rows for name in row.buckets}, create=not dry_run)
    report.buckets_created += [name for name in new_buckets if name not in report.buckets_created]
    bucket_ids = [bucket.pk for bucket in buckets.values() if bucket is not None]
    members = _memberships([values["id"] for values in stored.values()], bucket_ids)
    plan = Plan()
    for row in rows:
        previous = stored.get(row.external_ref)
        merged = _merge(row, previous)
        withdrawn = _apply_consent(row, merged, now, report)
        plan.withdrawals.extend((row.external_ref, channel) for channel in withdrawn)
        joined = [
            bucket
            for name in row.buckets
            for bucket in [buckets[name]]
            if bucket is None or previous is None or (previous["id"], bucket.pk) not in members
        ]
        plan.joins.extend((row.external_ref, bucket.pk if bucket else 0) for bucket in joined)
        if previous is None:
            outcome = "created"
        elif merged != previous or joined:
            outcome = "updated"
        else:
            outcome = "unchanged"
        report.add_outcome(row.line, row.external_ref, outcome)
        if on_outcome is not None:
            on_outcome(row.line, row.external_ref, outcome)
        if merged != previous:
            merged.pop("id", None)
            plan.rows.append(merged)
    report.consent_withdrawn += len(plan.withdrawals)
    report.memberships_added += len(plan.joins)
    return plan

"""Upsert checked rows by external reference, in bulk and in one transaction.

The stored clients the file names are read in chunks (for a real import, after locking the table against other
writers), each row is compared with what is stored, and only new or changed rows are written: on PostgreSQL with
``COPY`` and one ``INSERT … ON CONFLICT DO UPDATE`` (``copy_write``), elsewhere with the ORM's bulk upsert.
Consent withdrawals are written as ``clients.consent.consent_set`` writes them (the three consent fields plus an
append-only ``ConsentEvent``), but in bulk, because a nightly file may withdraw thousands. An import never gives
consent back: a client who opted out stays out until they or an admin say otherwise.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from clients.importing.copy_write import copy_write
from clients.importing.parsing import FileError, ParsedRow, parse
from clients.importing.report import ImportReport
from clients.models import BucketMembership, Client, ConsentEvent
from clients.services import buckets_ensure

CHUNK = 5000
BATCH = 2000
SOURCE = "import"
FIELDS = (
    "name",
    "account",
    "email",
    "phone",
    "language",
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
DEFAULTS: dict[str, object] = {
    "account": "",
    "email": "",
    "phone": "",
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
}


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lock_clients() -> None:
    """Hold other writers to clients off until commit: an unsubscribe arriving mid-import waits, then applies.

    One table lock instead of ``SELECT … FOR UPDATE`` on every row, which would write a lock into each of them.
    On SQLite the project's ``BEGIN IMMEDIATE`` transactions already hold the database's write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Client._meta.db_table)} IN SHARE ROW EXCLUSIVE MODE")


def _existing(refs: list[str]) -> dict[str, dict]:
    """The stored values of the clients the file names, keyed by reference (read in chunks)."""
    columns = ["id", "external_ref", *FIELDS, *CONSENT_FIELDS]
    stored: dict[str, dict] = {}
    if connection.vendor != "postgresql":
        for chunk in _chunks(refs, CHUNK):
            for values in Client.objects.filter(external_ref__in=chunk).order_by().values(*columns):
                stored[values["external_ref"]] = values
        return stored
    quote = connection.ops.quote_name
    sql = f"SELECT {', '.join(map(quote, columns))} FROM {quote(Client._meta.db_table)} WHERE external_ref = ANY(%s)"
    json_columns = [index for index, name in enumerate(columns) if name in ("tags", "attributes")]
    with connection.cursor() as cursor:
        for chunk in _chunks(refs, CHUNK):
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
    for chunk in _chunks(client_ids, CHUNK):
        pairs.update(
            BucketMembership.objects.filter(client_id__in=chunk, bucket_id__in=bucket_ids).values_list(
                "client_id", "bucket_id"
            )
        )
    return pairs


def _merge(row: ParsedRow, stored: dict | None) -> dict:
    current = dict(stored) if stored else {"language": settings.LANGUAGE_CODE, **DEFAULTS}
    merged = {**current, **row.values, "external_ref": row.external_ref}
    if row.attributes:
        attributes = dict(current["attributes"] or {})
        for key, value in row.attributes.items():
            if value is None:
                attributes.pop(key, None)
            else:
                attributes[key] = value
        merged["attributes"] = attributes
    return merged


def _apply_consent(row: ParsedRow, merged: dict, now: datetime, report: ImportReport) -> list[str]:
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

    rows: list[dict] = field(default_factory=list)
    withdrawals: list[tuple[str, str]] = field(default_factory=list)
    joins: list[tuple[str, int]] = field(default_factory=list)


def _plan(rows: list[ParsedRow], report: ImportReport, *, dry_run: bool) -> Plan:
    now = timezone.now()
    if not dry_run:
        _lock_clients()
    stored = _existing([row.external_ref for row in rows])
    buckets, report.buckets_created = buckets_ensure(
        names={name for row in rows for name in row.buckets}, create=not dry_run
    )
    bucket_ids = [bucket.pk for bucket in buckets.values() if bucket is not None]
    members = _memberships([values["id"] for values in stored.values()], bucket_ids)
    plan = Plan()
    for row in rows:
        previous = stored.get(row.external_ref)
        merged = _merge(row, previous)
        withdrawn = _apply_consent(row, merged, now, report)
        plan.withdrawals.extend((row.external_ref, channel) for channel in withdrawn)
        joined = [
            buckets[name]
            for name in row.buckets
            if buckets[name] is None or previous is None or (previous["id"], buckets[name].pk) not in members
        ]
        plan.joins.extend((row.external_ref, bucket.pk if bucket else 0) for bucket in joined)
        if previous is None:
            outcome = "created"
        elif merged != previous or joined:
            outcome = "updated"
        else:
            outcome = "unchanged"
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.outcomes.append((row.line, row.external_ref, outcome))
        if merged != previous:
            merged.pop("id", None)
            plan.rows.append(merged)
    report.consent_withdrawn = len(plan.withdrawals)
    report.memberships_added = len(plan.joins)
    return plan


def _write(plan: Plan, *, filename: str) -> None:
    """Portable bulk write (SQLite and others): ORM upsert, then consent events and memberships."""
    now = timezone.now()
    clients = [Client(**values) for values in plan.rows]
    Client.objects.bulk_create(
        clients,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["external_ref"],
        update_fields=[*FIELDS, *CONSENT_FIELDS, "updated_at"],
    )
    refs = sorted({ref for ref, _ in [*plan.withdrawals, *plan.joins]})
    ids: dict[str, int] = {}
    for chunk in _chunks(refs, CHUNK):
        ids.update(Client.objects.filter(external_ref__in=chunk).values_list("external_ref", "id"))
    ConsentEvent.objects.bulk_create(
        [
            ConsentEvent(
                client_id=ids[ref],
                channel=channel,
                action=ConsentEvent.Action.WITHDRAWN,
                source=SOURCE,
                detail=filename[:255],
                at=now,
            )
            for ref, channel in plan.withdrawals
        ],
        batch_size=BATCH,
    )
    BucketMembership.objects.bulk_create(
        [BucketMembership(client_id=ids[ref], bucket_id=bucket_id, added_at=now) for ref, bucket_id in plan.joins],
        batch_size=BATCH,
        ignore_conflicts=True,
    )


def _use_copy() -> bool:
    return connection.vendor == "postgresql"


def clients_import_csv(*, data: bytes, filename: str, dry_run: bool = False) -> ImportReport:
    """Import a clients CSV: good rows are upserted all together, bad rows are reported with line and reason.

    A dry run reads the database and reports the same counts but writes nothing. Any failure while writing
    rolls back every row, so a file is never half imported.
    """
    started = time.perf_counter()
    report = ImportReport(filename=filename, dry_run=dry_run)
    try:
        parsed = parse(data)
    except FileError as error:
        report.fatal = str(error)
        report.seconds = time.perf_counter() - started
        return report
    report.errors = parsed.errors
    if parsed.rows and dry_run:
        _plan(parsed.rows, report, dry_run=True)
    elif parsed.rows:
        with transaction.atomic():
            plan = _plan(parsed.rows, report, dry_run=False)
            if _use_copy():
                copy_write(
                    plan.rows,
                    plan.withdrawals,
                    plan.joins,
                    columns=[*FIELDS, *CONSENT_FIELDS],
                    filename=filename,
                    source=SOURCE,
                )
            else:
                _write(plan, filename=filename)
    report.seconds = time.perf_counter() - started
    return report

"""Upsert checked rows by external reference, in bulk and in one transaction, a chunk of rows at a time.

The file is read twice from disk (``clients.importing.reading``): once for its header and repeated references,
then row by row. Every ``CHUNK`` rows, the stored clients they name are read (for a real import, after locking the
table against other writers once), each row is compared with what is stored, and only new or changed rows are
written: on PostgreSQL with ``COPY`` and one ``INSERT … ON CONFLICT DO UPDATE`` (``copy_write``), elsewhere with
the ORM's bulk upsert. Memory holds one chunk, whatever the size of the file.
Consent withdrawals are written as ``clients.consent.consent_set`` writes them (the three consent fields plus an
append-only ``ConsentEvent``), but in bulk, because a nightly file may withdraw thousands. An import never gives
consent back: a client who opted out stays out until they or an admin say otherwise.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import BinaryIO

from django.db import connection, transaction
from django.utils import timezone

from clients.attribute_keys import attribute_keys_forget
from clients.importing.copy_write import copy_write
from clients.importing.parsing import FileError, ParsedRow, checked_rows
from clients.importing.planning import (
    CHUNK,
    CONSENT_FIELDS,
    FIELDS,
    MARK_FIELDS,
    SOURCE,
    Outcome,
    Plan,
    chunks,
    plan_chunk,
)
from clients.importing.reading import Scan, scan
from clients.importing.report import ImportReport, RowProblem
from clients.models import BucketMembership, Client, ConsentEvent

BATCH = 2000


def _lock_clients() -> None:
    """Hold other writers to clients off until commit: an unsubscribe arriving mid-import waits, then applies.

    One table lock instead of ``SELECT … FOR UPDATE`` on every row, which would write a lock into each of them.
    On SQLite the project's ``BEGIN IMMEDIATE`` transactions already hold the database's write lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Client._meta.db_table)} IN SHARE ROW EXCLUSIVE MODE")


def _write(plan: Plan, *, filename: str) -> None:
    """Portable bulk write (SQLite and others): ORM upsert, then consent events and memberships."""
    now = timezone.now()
    clients = [Client(**values) for values in plan.rows]
    Client.objects.bulk_create(
        clients,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["external_ref"],
        update_fields=[*FIELDS, *CONSENT_FIELDS, *MARK_FIELDS, "updated_at"],
    )
    refs = sorted({ref for ref, _ in [*plan.withdrawals, *plan.joins]})
    ids: dict[str, int] = {}
    for chunk in chunks(refs, CHUNK):
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


def _write_chunk(plan: Plan, *, filename: str) -> None:
    if _use_copy():
        copy_write(
            plan.rows,
            plan.withdrawals,
            plan.joins,
            columns=[*FIELDS, *CONSENT_FIELDS, *MARK_FIELDS],
            filename=filename,
            source=SOURCE,
        )
    else:
        _write(plan, filename=filename)


def _sync(found: Scan, report: ImportReport, *, dry_run: bool) -> None:
    """Deactivate the active clients the file does not name (a dry run only counts them).

    Every reference in the file counts as present, a rejected row's too: only a client the file leaves out goes.
    """
    missing: list[int] = []
    active = Client.objects.filter(is_active=True).order_by().values_list("pk", "external_ref")
    for pk, ref in active.iterator(chunk_size=CHUNK):
        if ref not in found.refs:
            missing.append(pk)
    report.deactivated = len(missing)
    if not dry_run:
        now = timezone.now()
        for chunk in chunks(missing, CHUNK):
            Client.objects.filter(pk__in=chunk, is_active=True).update(is_active=False, updated_at=now)


def _run(
    stream: BinaryIO, report: ImportReport, *, dry_run: bool, on_outcome: Outcome | None, sync: bool = False
) -> None:
    """Both passes; raises FileError before anything is written when the file is unusable."""
    found = scan(stream)
    if sync and not found.refs:
        raise FileError("a sync needs a file that names clients: this one would deactivate every client")
    chunk: list[ParsedRow] = []

    def flush() -> None:
        plan = plan_chunk(chunk, report, dry_run=dry_run, on_outcome=on_outcome)
        if not dry_run:
            _write_chunk(plan, filename=report.filename)
        chunk.clear()

    if not dry_run:
        _lock_clients()
    for item in checked_rows(stream, found):
        if isinstance(item, RowProblem):
            report.add_problem(item)
            continue
        chunk.append(item)
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()
    if sync:
        _sync(found, report, dry_run=dry_run)


def clients_import_csv(
    *,
    filename: str,
    data: bytes | None = None,
    path: Path | None = None,
    dry_run: bool = False,
    sync: bool = False,
    on_outcome: Outcome | None = None,
) -> ImportReport:
    """Import a clients CSV (``data``, or the file at ``path``, read as a stream): good rows are upserted, bad rows
    are reported with line and reason.

    A dry run reads the database and reports the same counts but writes nothing. Any failure while writing
    rolls back every row, so a file is never half imported. ``on_outcome(line, ref, outcome)`` hears every row.
    With ``sync``, active clients the file does not name are deactivated (counted in a dry run, ``deactivated``).
    """
    started = time.perf_counter()
    report = ImportReport(filename=filename, dry_run=dry_run, sync=sync)
    try:
        with path.open("rb") if path is not None else io.BytesIO(data or b"") as stream:
            if dry_run:
                _run(stream, report, dry_run=True, on_outcome=on_outcome, sync=sync)
            else:
                with transaction.atomic():
                    _run(stream, report, dry_run=False, on_outcome=on_outcome, sync=sync)
    except FileError as error:
        report = ImportReport(filename=filename, dry_run=dry_run, sync=sync, fatal=str(error))
    report.seconds = time.perf_counter() - started
    if not dry_run and report.good_rows:
        attribute_keys_forget()
    return report

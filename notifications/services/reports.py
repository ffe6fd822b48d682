"""Delivery reports: stored raw (append-only) and applied to messages, never moving one backwards.

A message moves along pending → sending → accepted → a final state. A report may move it forward from any
non-final state; a final state never changes, and a late ``accepted`` never undoes a delivery. Infobip's
``DELIVERED_TO_OPERATOR`` is not final (a handset report may follow), so it keeps the message ``accepted``.
Everything happens in a few queries per batch: one insert of raw rows, one conditional UPDATE.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from clients.deliverability import addresses_mark_unreachable
from notifications.models import DeliveryReport, Message, pk_from_message_id
from notifications.providers.base import StatusReport
from notifications.services.bulksql import update_from_values
from notifications.services.failover import failover_after_reports

logger = logging.getLogger(__name__)

S = Message.State
GROUP_STATES = {
    "PENDING": S.ACCEPTED,
    "ACCEPTED": S.ACCEPTED,
    "DELIVERED": S.DELIVERED,
    "UNDELIVERABLE": S.UNDELIVERABLE,
    "EXPIRED": S.EXPIRED,
    "REJECTED": S.REJECTED,
}
NOT_FINAL_NAMES = {"DELIVERED_TO_OPERATOR"}
#: Second providers' statuses in Infobip's groups, the one vocabulary the engine applies (docs/providers.md):
#: Twilio's message statuses, Postmark's webhook record types.
FOREIGN_GROUPS = {
    "twilio": {
        "accepted": "ACCEPTED",
        "scheduled": "ACCEPTED",
        "queued": "PENDING",
        "sending": "PENDING",
        "sent": "PENDING",  # handed to the carrier: not final (as Infobip's DELIVERED_TO_OPERATOR)
        "delivered": "DELIVERED",
        "read": "DELIVERED",
        "undelivered": "UNDELIVERABLE",
        "failed": "REJECTED",
        "canceled": "REJECTED",
    },
    "postmark": {"Delivery": "DELIVERED", "Bounce": "UNDELIVERABLE", "SpamComplaint": "DELIVERED"},
}
# A report may move a message out of the in-flight states only, into one of the final states reports can set.
OPEN_STATES = Message.IN_FLIGHT_STATES
REPORT_FINAL_STATES = Message.REPORTED_FINAL_STATES


def report_state(report: StatusReport) -> str | None:
    """The message state a report stands for, or None when the report says nothing we can use."""
    state = GROUP_STATES.get((report.status_group or "").upper())
    if state == S.DELIVERED and (report.status_name or "").upper() in NOT_FINAL_NAMES:
        return S.ACCEPTED
    return state


def foreign_report(
    *, provider: str, message_id: str, status: str, error: str = "", done_at: datetime | None = None, raw: dict
) -> StatusReport | None:
    """A second provider's status as a report in the engine's vocabulary; None for a status it does not know."""
    group = FOREIGN_GROUPS.get(provider, {}).get(status)
    if group is None or not message_id:
        return None
    name = f"{provider.upper()}_{status.upper()}"[:64]
    return StatusReport(
        message_id=message_id, status_group=group, status_name=name, error_name=error[:64], done_at=done_at, raw=raw
    )


def report_rank(state: str, status_name: str) -> int:
    """How far along the provider's pipeline a report is: a final one beats any other, and among reports that leave a
    message accepted, DELIVERED_TO_OPERATOR beats a PENDING one, so an old report (late, or replayed) never winds a
    message's provider status back."""
    if state in REPORT_FINAL_STATES:
        return 3
    return 2 if (status_name or "").upper() in NOT_FINAL_NAMES else 1


# The same rank, read from a stored accepted message's status name ('' when no report has named it yet).
_STORED_ACCEPTED_RANK = (
    "CASE WHEN m.status_name IN (" + ", ".join(f"'{name}'" for name in sorted(NOT_FINAL_NAMES)) + ") THEN 2 "
    "WHEN m.status_name = '' THEN 0 ELSE 1 END"
)


def dedupe_key(report: StatusReport) -> str:
    done = report.done_at.isoformat() if report.done_at else ""
    return f"{report.message_id}|{report.status_name or report.status_group}|{done}"[:300]


@dataclass(frozen=True)
class ReportOutcome:
    received: int
    applied: int
    orphans: int


def messages_apply_reports(reports: Iterable[StatusReport]) -> int:
    """Apply reports to their messages with one conditional UPDATE; returns the rows that changed."""
    best: dict[int, tuple[str, StatusReport]] = {}
    for report in reports:
        pk, state = pk_from_message_id(report.message_id), report_state(report)
        if pk is None or state is None:
            continue
        current = best.get(pk)
        rank = report_rank(state, report.status_name)
        if current is None or rank > report_rank(current[0], current[1].status_name):
            best[pk] = (state, report)
    if not best:
        return 0
    now = timezone.now()
    rows = [
        (
            pk,
            state,
            (report.status_name or report.status_group)[:64],
            (report.error_name or "")[:64],
            (report.error_text or "")[:500],
            report.done_at or now,
            report_rank(state, report.status_name),
        )
        for pk, (state, report) in best.items()
    ]
    finals = ", ".join(f"'{state}'" for state in REPORT_FINAL_STATES)
    opened = ", ".join(f"'{state}'" for state in OPEN_STATES)
    ok_errors = "('', 'NO_ERROR', 'OK')"
    return update_from_values(
        table=Message._meta.db_table,
        columns=[
            ("id", "int"),
            ("state", "text"),
            ("status_name", "text"),
            ("error_name", "text"),
            ("error_text", "text"),
            ("done_at", "datetime"),
            ("rank", "int"),
        ],
        rows=rows,
        set_sql=(
            "state = v.state, status_name = v.status_name, "
            f"error_code = CASE WHEN v.error_name IN {ok_errors} THEN m.error_code ELSE v.error_name END, "
            f"error_text = CASE WHEN v.error_name IN {ok_errors} THEN m.error_text ELSE v.error_text END, "
            "accepted_at = COALESCE(m.accepted_at, %s), "
            f"done_at = CASE WHEN v.state IN ({finals}) THEN v.done_at ELSE m.done_at END, "
            "lease_until = CASE WHEN v.state IN (" + finals + ", 'accepted') THEN NULL ELSE m.lease_until END, "
            "updated_at = %s"
        ),
        set_params=[_adapt(now), _adapt(now)],
        where_sql=f"m.state IN ({opened}) AND NOT (m.state = 'accepted' AND v.state = 'accepted' "
        f"AND v.rank <= {_STORED_ACCEPTED_RANK})",
    )


def _adapt(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _insert_raw_postgres(reports: list[StatusReport], *, source: str, channel: str, now: datetime) -> int:
    """Store the raw reports in one ``INSERT … SELECT FROM unnest(…)`` joined to the messages; returns orphans."""
    table = DeliveryReport._meta.db_table
    columns: list[list[Any]] = [[], [], [], [], [], [], [], []]
    for report in reports:
        for column, value in zip(
            columns,
            (
                report.message_id[:200],
                pk_from_message_id(report.message_id),
                (report.status_group or "")[:32],
                (report.status_name or "")[:64],
                (report.error_name or "")[:64],
                report.done_at,
                json.dumps(report.raw or {}),
                dedupe_key(report),
            ),
            strict=True,
        ):
            column.append(value)
    sql = (
        f"WITH src AS (SELECT v.*, m.id AS mid, m.channel AS mch FROM unnest(%s::text[], %s::bigint[], %s::text[], "
        f"%s::text[], %s::text[], %s::timestamptz[], %s::text[], %s::text[]) "
        f"AS v(pmid, pk, grp, name, err, done, payload, dkey) LEFT JOIN {Message._meta.db_table} m ON m.id = v.pk), "
        f"ins AS (INSERT INTO {table} (message_id, provider_message_id, channel, status_group, status_name, "
        f"error_name, done_at, payload, source, is_orphan, dedupe_key, received_at) "
        f"SELECT mid, pmid, COALESCE(mch, %s), grp, name, err, done, payload::jsonb, %s, mid IS NULL, dkey, %s "
        f"FROM src ON CONFLICT DO NOTHING RETURNING 1) "
        f"SELECT (SELECT count(*) FROM src WHERE mid IS NULL), (SELECT count(*) FROM ins)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*columns, channel or "", source, now])
        orphans, _inserted = cursor.fetchone()
    return orphans


def reports_record(
    *, reports: list[StatusReport], source: str = DeliveryReport.Source.WEBHOOK, channel: str = ""
) -> ReportOutcome:
    """Keep every report raw (duplicates ignored), apply it to its message, keep unknown ids as orphans.

    On PostgreSQL this is two statements in one transaction, whatever the batch size: the raw rows go in through
    one ``INSERT … SELECT`` that finds their messages itself, and the states move in one conditional UPDATE (which
    only matches existing messages, so unknown ids need no separate lookup).
    """
    now = timezone.now()
    if connection.vendor == "postgresql":
        with transaction.atomic():
            orphans = _insert_raw_postgres(reports, source=source, channel=channel, now=now)
            applied = messages_apply_reports(reports)
    else:
        pks = {pk for pk in (pk_from_message_id(r.message_id) for r in reports) if pk is not None}
        known = dict(Message.objects.filter(pk__in=pks).values_list("pk", "channel")) if pks else {}
        rows = []
        for report in reports:
            pk = pk_from_message_id(report.message_id)
            message_id = pk if pk in known else None
            rows.append(
                DeliveryReport(
                    message_id=message_id,
                    provider_message_id=report.message_id[:200],
                    channel=(known.get(pk, channel) if pk is not None else channel) or "",
                    status_group=(report.status_group or "")[:32],
                    status_name=(report.status_name or "")[:64],
                    error_name=(report.error_name or "")[:64],
                    done_at=report.done_at,
                    payload=report.raw or {},
                    source=source,
                    is_orphan=message_id is None,
                    dedupe_key=dedupe_key(report),
                    received_at=now,
                )
            )
        with transaction.atomic():
            DeliveryReport.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
            applied = messages_apply_reports(r for r in reports if pk_from_message_id(r.message_id) in known)
        orphans = sum(1 for row in rows if row.is_orphan)
    if orphans:
        logger.info("delivery reports: %d orphan(s) of %d kept", orphans, len(reports))
    _mark_unreachable(reports)
    failover_after_reports(_reported_states(reports))
    return ReportOutcome(received=len(reports), applied=applied, orphans=orphans)


def _reported_states(reports: list[StatusReport]) -> dict[int, str]:
    """Each reported message's state as its reports say (the failover checks the row itself)."""
    states = {}
    for report in reports:
        pk, state = pk_from_message_id(report.message_id), report_state(report)
        if pk is not None and state is not None:
            states[pk] = state
    return states


def _mark_unreachable(reports: list[StatusReport]) -> None:
    """Undeliverable for good (the provider's ``error.permanent``): the client's address is marked unreachable."""
    reasons: dict[int, str] = {}
    for report in reports:
        error, pk = (report.raw or {}).get("error"), pk_from_message_id(report.message_id)
        if (
            pk
            and report_state(report) == S.UNDELIVERABLE
            and isinstance(error, dict)
            and error.get("permanent") is True
        ):
            reasons[pk] = ": ".join(part for part in (report.error_name, report.error_text) if part)
    if reasons:
        rows = Message.objects.filter(pk__in=reasons, client__isnull=False).values_list(
            "pk", "client_id", "channel", "destination"
        )
        addresses_mark_unreachable((client_id, channel, to, reasons[pk]) for pk, client_id, channel, to in rows)


def accepted_too_long(*, minutes: int, limit: int = 1000) -> dict[tuple[str, str], list[int]]:
    """Ids of messages accepted more than ``minutes`` ago and still without a final report, per channel and the
    provider that carried them."""
    cutoff = timezone.now() - timedelta(minutes=minutes)
    rows = (
        Message.objects.filter(state=S.ACCEPTED, accepted_at__lt=cutoff)
        .order_by("accepted_at")
        .values_list("pk", "channel", "provider")[:limit]
    )
    per_channel: dict[tuple[str, str], list[int]] = {}
    for pk, channel, provider in rows:
        per_channel.setdefault((channel, provider), []).append(pk)
    return per_channel

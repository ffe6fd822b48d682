"""A send's audience becomes message rows, in set-based SQL, in committed chunks so dispatch starts at once.

One ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per channel turns the audience query (``clients.selectors``) into
rows: eligible clients as ``pending`` with their address and language, the others as ``skipped`` with the reason.
A failover chain's channels are written per client instead (``chain.py``), over the same client range per chunk.

Why chunks: written in one transaction, a million-client audience kept every worker idle for the whole INSERT
(8.5 s) before the first message could go out. So the audience is cut by client id (keyset: the next ``size``
matching ids after the last one written) and each chunk, every channel of it, is one short transaction that holds
the send's row lock. The first chunk (1,000 recipients, then doubling up to ``MATERIALIZE_CHUNK_SIZE``) moves the
send to ``sending`` and rings dispatch, so workers send those rows while the next chunks are written.

Why it stays exactly once: a chunk is atomic, so everything up to the highest client id with a row is done, and a
run resumes after it (a crash, a second doorbell, two runs taking turns under the row lock); the unique (send,
recipient, channel) constraints and ``ON CONFLICT DO NOTHING`` make any overlap add nothing. ``materialized_at`` is
set only by the last chunk, so a send is never completed (``send_complete_if_done``) while rows are still to come;
each chunk stamps ``materialize_requested_at``, so the sweeper rings a stalled materialize again, not a running one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, Expression, F, Max, Q, QuerySet, Value, When
from django.utils import timezone

from clients.channels import reach_of
from clients.models import TestRecipient
from clients.selectors import audience_queryset, exclusion_reason
from notifications.models import Message, Send
from notifications.services.chain import chain_materialize, chain_of
from notifications.services.doorbell import dispatch_kick
from notifications.services.quiet import messages_hold_quiet

logger = logging.getLogger(__name__)
TABLE = Message._meta.db_table
FIRST_CHUNK = 1000  # recipients in the first chunk: a batch per channel for the first workers, written in ms
# Columns written for every row; the values come from the SELECT below, constants as parameters.
INSERT_COLUMNS = (
    "send_id",
    "channel",
    "state",
    "skip_reason",
    "destination",
    "language",
    "subject",
    "body",
    "html",
    "parts",
    "attempts",
    "provider_message_id",
    "bulk_id",
    "status_name",
    "error_code",
    "error_text",
    "created_at",
    "updated_at",
)


def _languages(send: Send, channel: str) -> list[str]:
    return [lang for lang, parts in (send.content or {}).items() if isinstance(parts, dict) and channel in parts]


def _language_case(send: Send, channel: str) -> Case | Value:
    languages = _languages(send, channel)
    return (
        Case(
            When(language__in=languages, then=F("language")),
            default=Value(send.fallback_language),
            output_field=CharField(),
        )
        if languages
        else Value(send.fallback_language, output_field=CharField())
    )


def _annotated(
    queryset: QuerySet[Any],
    *,
    channel: str,
    reason: Expression | Case | Value,
    language: Case | Value,
    address: bool = True,
) -> QuerySet[Any]:
    return (
        queryset.order_by()
        .annotate(
            m_id=F("pk"),
            m_reason=reason,
            m_destination=reach_of(channel).address() if address else Value(""),
            m_language=language,
        )
        .values("m_id", "m_reason", "m_destination", "m_language")
    )


def _insert(send: Send, channel: str, recipient_column: str, source: QuerySet[Any]) -> int:
    """INSERT … SELECT from ``source`` (id, reason, destination, language); returns the rows inserted."""
    inner_sql, inner_params = source.query.sql_with_params()
    now = timezone.now()
    columns = ", ".join((recipient_column, *INSERT_COLUMNS))
    # SQLite needs a WHERE before ON CONFLICT to parse INSERT … SELECT … ON CONFLICT; PostgreSQL accepts it too.
    sql = (
        f"INSERT INTO {TABLE} ({columns}) "
        f"SELECT src.m_id, %s, %s, CASE WHEN src.m_reason = '' THEN %s ELSE %s END, src.m_reason, "
        f"COALESCE(src.m_destination, ''), src.m_language, '', '', '', 0, 0, '', '', '', '', '', %s, %s "
        f"FROM ({inner_sql}) AS src WHERE 1 = 1 ON CONFLICT DO NOTHING"
    )
    params = [send.pk, channel, Message.State.PENDING, Message.State.SKIPPED, now, now, *inner_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def _client_source(send: Send, channel: str, after: int, through: int | None) -> QuerySet[Any]:
    reason = exclusion_reason(
        channel, notice_kind=send.notice_kind, mandatory=send.mandatory, cap_before=send.created_at
    )
    clients = audience_queryset(send.audience).filter(pk__gt=after)
    if through is not None:
        clients = clients.filter(pk__lte=through)
    return _annotated(clients, channel=channel, reason=reason, language=_language_case(send, channel))


def _tester_source(send: Send, channel: str) -> QuerySet[Any]:
    ids = [int(pk) for pk in (send.audience or {}).get("test_recipients", [])]
    reach = reach_of(channel)
    if reach.devices is not None:  # testers have no browser subscriptions or app devices
        reason: Case | Value = Value(reach.missing_reason, output_field=CharField())
    else:
        reason = Case(
            When(is_active=False, then=Value(Message.SkipReason.INACTIVE)),
            When(Q(**{reach.address_field: ""}), then=Value(reach.missing_reason)),
            default=Value(""),
            output_field=CharField(),
        )
    return _annotated(
        TestRecipient.objects.filter(pk__in=ids),
        channel=channel,
        reason=reason,
        language=_language_case(send, channel),
        address=reach.devices is None,
    )


def _written_through(send: Send) -> int:
    """The highest client id with a row of this send: every matching client up to it is written (chunks are
    atomic). One backward step on the (send, client, channel) unique index."""
    last = Message.objects.filter(send=send, client__isnull=False).aggregate(last=Max("client_id"))["last"]
    return int(last or 0)


def _chunk_end(send: Send, after: int, size: int) -> int | None:
    """The ``size``-th matching client id after ``after`` (the chunk's last), or None when fewer are left."""
    ids = audience_queryset(send.audience).filter(pk__gt=after).order_by("pk").values_list("pk", flat=True)
    return next(iter(ids[size - 1 : size]), None)


def _chunk(send_id: int, size: int) -> tuple[int, bool, bool]:
    """Write one chunk in its own transaction; returns (rows added, whether nothing is left to write, whether this
    chunk was the one that completed the audience)."""
    with transaction.atomic():
        send = Send.objects.select_for_update().get(pk=send_id)
        if send.state in (Send.State.SCHEDULED, Send.State.CANCELLED, Send.State.COMPLETED):
            return 0, True, False
        if send.materialized_at is not None and send.state != Send.State.QUEUED:
            return 0, True, False  # a late or repeated doorbell: the audience was frozen by the last chunk
        added, final = 0, True
        if send.materialized_at is None and send.is_test:
            for channel in send.channels:
                added += _insert(send, channel, "test_recipient_id", _tester_source(send, channel))
        elif send.materialized_at is None:
            after = _written_through(send)
            through = _chunk_end(send, after, size)
            # A failover chain's channels: each client starts on one of them (services/chain.py).
            added += chain_materialize(send, after=after, through=through)
            for channel in (channel for channel in send.channels if channel not in chain_of(send)):
                added += _insert(send, channel, "client_id", _client_source(send, channel, after, through))
            # In this transaction: no worker sees a row before its not-before time.
            messages_hold_quiet(send=send, clients=(after, through))
            final = through is None
        now = timezone.now()
        updates: dict[str, object] = {"materialize_requested_at": now}  # in flight: the sweeper leaves it alone
        if final:
            updates["materialized_at"] = send.materialized_at or now
        starting = send.state == Send.State.QUEUED
        if starting:
            updates.update(state=Send.State.SENDING, started_at=send.started_at or now)
        Send.objects.filter(pk=send.pk).update(**updates)
        if starting or (final and send.state == Send.State.SENDING):
            # After commit: the first chunk's rows go out while the next are written; the last ring wakes workers
            # that ran out of rows and stopped waiting.
            dispatch_kick(send_id=send.pk, channels=list(send.channels))
    if starting:
        logger.info("send %s sending: its first %d rows are written", send_id, added)
    return added, final, final and send.materialized_at is None


def send_materialize(*, send_id: int) -> int:
    """Create the send's message rows (idempotent, resumable) chunk by chunk; the first chunk moves it from queued
    to sending and rings dispatch. Returns the rows added by this run."""
    added, size = 0, min(FIRST_CHUNK, settings.MATERIALIZE_CHUNK_SIZE)
    while True:
        rows, final, completed = _chunk(send_id, max(size, 1))
        added += rows
        if final:
            break
        size = min(size * 2, settings.MATERIALIZE_CHUNK_SIZE)
    if completed:  # once per send: the chunk that set materialized_at ran under the send's row lock
        logger.info("send %s materialized: %d rows", send_id, added)
    return added

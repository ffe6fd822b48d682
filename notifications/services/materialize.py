"""A send's audience becomes message rows, in set-based SQL.

One ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per channel turns the audience query (``clients.selectors``) into
rows: eligible clients as ``pending`` with their address and language, the others as ``skipped`` with the reason.
The unique (send, recipient, channel) constraints make a second run add nothing, so the task may run twice; a run
holds the send's row lock throughout (the sweeper reads that as "in flight"), and a late duplicate for a send that
has already started does nothing at all.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, CharField, Expression, F, Q, QuerySet, Value, When
from django.utils import timezone

from clients.channels import reach_of
from clients.models import TestRecipient
from clients.selectors import audience_queryset, exclusion_reason
from notifications.models import Message, Send
from notifications.services.chain import chain_materialize, chain_of
from notifications.services.quiet import messages_hold_quiet

logger = logging.getLogger(__name__)
TABLE = Message._meta.db_table
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


def _client_source(send: Send, channel: str) -> QuerySet[Any]:
    reason = exclusion_reason(
        channel, notice_kind=send.notice_kind, mandatory=send.mandatory, cap_before=send.created_at
    )
    return _annotated(
        audience_queryset(send.audience), channel=channel, reason=reason, language=_language_case(send, channel)
    )


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


def send_materialize(*, send_id: int) -> int:
    """Create the send's message rows (idempotent) and move it from queued to sending; returns rows added."""
    with transaction.atomic():
        send = Send.objects.select_for_update().get(pk=send_id)
        if send.state in (Send.State.SCHEDULED, Send.State.CANCELLED, Send.State.COMPLETED):
            return 0
        if send.state == Send.State.SENDING and send.materialized_at is not None:
            return 0  # a late or repeated doorbell: the send started, its audience was frozen then
        chain = chain_of(send)  # a failover chain's channels: each client starts on one of them (services/chain.py)
        added = chain_materialize(send)
        for channel in send.channels:
            if channel in chain:
                continue
            if send.is_test:
                added += _insert(send, channel, "test_recipient_id", _tester_source(send, channel))
            else:
                added += _insert(send, channel, "client_id", _client_source(send, channel))
        messages_hold_quiet(send=send)  # in this transaction: no worker sees a row before its not-before time
        now = timezone.now()
        updates: dict[str, object] = {
            "materialized_at": send.materialized_at or now,
            "started_at": send.started_at or now,
        }
        if send.state == Send.State.QUEUED:
            updates["state"] = Send.State.SENDING
        Send.objects.filter(pk=send.pk).update(**updates)
    if send.state == Send.State.QUEUED:
        logger.info("send %s materialized: %d rows, sending", send_id, added)
    return added

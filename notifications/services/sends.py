"""Starting, pausing, resuming, cancelling and retrying sends: the only way a send changes state.

A send freezes its content and audience when it is created. Work is enqueued only after the transaction commits
(the Celery message is a doorbell; the periodic sweeper rings it again if it is lost). Every ask for a materialize
stamps ``materialize_requested_at`` in the same transaction, so the sweeper can tell a lost doorbell from one whose
task is still on its way.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from notifications.models import Message, Send
from notifications.services.doorbell import dispatch_kick, materialize_kick

logger = logging.getLogger(__name__)


def send_create(
    *,
    label: str,
    channels: list[str],
    audience: dict[str, Any],
    content: dict[str, Any],
    fallback_language: str = "en",
    variables: dict[str, Any] | None = None,
    notice_kind: str = "",
    mandatory: bool = False,
    sms_stop_line: bool = False,
    reference: str = "",
    scheduled_at: datetime | None = None,
    valid_until: datetime | None = None,
    pace_per_minute: int | None = None,
    failover: list[str] | None = None,
    failover_wait_seconds: int | None = None,
    created_by: User | None = None,
) -> Send:
    """Freeze a send; it starts now (queued) or at ``scheduled_at`` (scheduled, started by the sweeper).

    Nothing of it goes out after ``valid_until`` (services/validity.py).
    """
    now = timezone.now()
    scheduled = scheduled_at is not None and scheduled_at > now
    send = Send.objects.create(
        label=label[:200],
        channels=list(channels),
        audience=audience,
        content=content,
        fallback_language=fallback_language,
        variables=variables or {},
        notice_kind=notice_kind,
        mandatory=mandatory,
        sms_stop_line=sms_stop_line,
        reference=reference[:100],
        scheduled_at=scheduled_at,
        valid_until=valid_until,
        pace_per_minute=pace_per_minute or None,
        failover=list(failover or []),
        failover_wait_seconds=failover_wait_seconds or Send._meta.get_field("failover_wait_seconds").default,
        created_by=created_by,
        state=Send.State.SCHEDULED if scheduled else Send.State.QUEUED,
        materialize_requested_at=None if scheduled else now,
    )
    if not scheduled:
        materialize_kick(send_id=send.pk)
    return send


def test_send_create(
    *,
    label: str,
    channels: list[str],
    content: dict[str, Any],
    fallback_language: str = "en",
    variables: dict[str, Any] | None = None,
    test_recipient_ids: list[int],
    sms_stop_line: bool = False,
    created_by: User | None = None,
) -> Send:
    """The same path as a real send, to internal test recipients only, marked as a test."""
    send = Send.objects.create(
        label=label[:200],
        is_test=True,
        channels=list(channels),
        audience={"test_recipients": [int(pk) for pk in test_recipient_ids]},
        content=content,
        fallback_language=fallback_language,
        variables=variables or {},
        sms_stop_line=sms_stop_line,
        created_by=created_by,
        state=Send.State.QUEUED,
        materialize_requested_at=timezone.now(),
    )
    materialize_kick(send_id=send.pk)
    return send


test_send_create.__test__ = False  # type: ignore[attr-defined]  # a contract name, not a pytest test


def send_start_due(*, now: datetime | None = None) -> list[int]:
    """Start scheduled sends whose time has come; a conditional UPDATE makes each start happen once."""
    now = now or timezone.now()
    started = []
    due = Send.objects.filter(state=Send.State.SCHEDULED, scheduled_at__lte=now).values_list("pk", flat=True)
    for send_id in list(due):
        with transaction.atomic():
            if Send.objects.filter(pk=send_id, state=Send.State.SCHEDULED).update(
                state=Send.State.QUEUED, materialize_requested_at=timezone.now()
            ):
                materialize_kick(send_id=send_id)
                started.append(send_id)
                logger.info("scheduled send %s started", send_id)
    return started


def send_pause(*, send: Send) -> Send:
    """Stop new claims; batches already in flight finish and are recorded."""
    Send.objects.filter(pk=send.pk, state__in=(Send.State.QUEUED, Send.State.SENDING, Send.State.SCHEDULED)).update(
        state=Send.State.PAUSED
    )
    send.refresh_from_db()
    return send


def send_resume(*, send: Send) -> Send:
    """Continue a paused send where it stopped (the rows are the resume point; nothing is resent)."""
    with transaction.atomic():
        materialized = Send.objects.filter(pk=send.pk, materialized_at__isnull=False).exists()
        target = Send.State.SENDING if materialized else Send.State.QUEUED
        updates: dict[str, object] = {"state": target}
        if target == Send.State.QUEUED:
            updates["materialize_requested_at"] = timezone.now()
        if Send.objects.filter(pk=send.pk, state=Send.State.PAUSED).update(**updates):
            if target == Send.State.QUEUED:
                materialize_kick(send_id=send.pk)
            else:
                dispatch_kick(send_id=send.pk, channels=list(send.channels))
    send.refresh_from_db()
    return send


def send_cancel(*, send: Send) -> Send:
    """Stop for good: pending rows become cancelled; in-flight batches finish and keep their outcome."""
    now = timezone.now()
    with transaction.atomic():
        Send.objects.filter(pk=send.pk).exclude(state__in=(Send.State.COMPLETED, Send.State.CANCELLED)).update(
            state=Send.State.CANCELLED, completed_at=now
        )
        Message.objects.filter(send_id=send.pk, state=Message.State.PENDING).update(
            state=Message.State.CANCELLED, done_at=now, updated_at=now
        )
    send.refresh_from_db()
    return send


def send_retry_failed(*, send: Send, states: tuple[str, ...] = Message.RETRY_DEFAULT_STATES) -> int:
    """Put failed and expired rows (or the failure ``states`` chosen) back to pending.

    A person's decision; reports never do this. States outside Message.FAILURE_STATES are ignored.
    """
    now = timezone.now()
    states = tuple(state for state in states if state in Message.FAILURE_STATES)
    with transaction.atomic():
        count = Message.objects.filter(send_id=send.pk, state__in=states).update(
            state=Message.State.PENDING,
            attempts=0,
            next_attempt_at=None,
            lease_until=None,
            claim_token=None,
            error_code="",
            error_text="",
            status_name="",
            done_at=None,
            updated_at=now,
        )
        if count:
            Send.objects.filter(pk=send.pk, state__in=(Send.State.COMPLETED, Send.State.SENDING)).update(
                state=Send.State.SENDING, completed_at=None
            )
            send.refresh_from_db()
            if send.state == Send.State.SENDING:
                dispatch_kick(send_id=send.pk, channels=list(send.channels))
    return count


def send_complete_if_done(*, send_id: int) -> bool:
    """Mark a sending send completed once no row is pending or sending (reports may still move accepted rows).

    With a failover chain, also not while a row of the chain was accepted less than the wait ago: it may still fail
    over (services/failover.py). A failover that comes later anyway reopens the send (``send_reopen``).
    """
    now = timezone.now()
    open_rows = Message.objects.filter(send_id=OuterRef("pk"), state__in=(Message.State.PENDING, Message.State.SENDING))
    sends = Send.objects.filter(pk=send_id, state=Send.State.SENDING, materialized_at__isnull=False)
    chain = sends.values_list("failover", "failover_wait_seconds").first()
    if chain and chain[0]:
        recent = now - timedelta(seconds=chain[1])
        waiting = Message.objects.filter(
            send_id=OuterRef("pk"), state=Message.State.ACCEPTED, accepted_at__gt=recent, channel__in=chain[0]
        )
        sends = sends.filter(~Exists(waiting))
    return bool(sends.filter(~Exists(open_rows)).update(state=Send.State.COMPLETED, completed_at=now))


def send_reopen(*, send_id: int) -> bool:
    """A completed send that got new rows (a failover) is sending again, so workers claim them."""
    return bool(
        Send.objects.filter(pk=send_id, state=Send.State.COMPLETED).update(state=Send.State.SENDING, completed_at=None)
    )

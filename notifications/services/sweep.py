"""The periodic doorbell: start scheduled sends, re-kick work nobody is doing, complete finished sends.

Celery messages can be lost (a crash between COMMIT and the send, a Redis flush); the rows are the outbox, so this
sweep, run every few seconds by beat, finds committed work nobody is doing. Every step is idempotent; running it
twice, or from two beats, starts nothing twice (``send_start_due`` uses a conditional UPDATE).

A materialize is never started a second time while one is in flight: a send still to materialize (queued, or
sending with chunks left to write) is rung again only when its materialize was asked for, or last wrote a chunk,
more than ``MATERIALIZE_GRACE_SECONDS`` ago (``Send.materialize_requested_at``, stamped by every ask, this one
included, and by every chunk) and no materialize holds the send's row lock right now (``SKIP LOCKED``), i.e. when
its doorbell was lost or its worker died between chunks. A task merely waiting behind others on a busy worker is
left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from notifications.models import Message, Send
from notifications.providers import get_provider
from notifications.services.doorbell import dispatch_kick, materialize_kick
from notifications.services.failover import failover_sweep
from notifications.services.fence import request_budget, takeover_q
from notifications.services.quiet import sends_hold_quiet
from notifications.services.sends import send_complete_if_done, send_start_due
from notifications.services.validity import messages_expire

S = Message.State
MATERIALIZE_GRACE_SECONDS = 60
REKICK_LIMIT = 100


@dataclass
class SweepOutcome:
    started: list[int] = field(default_factory=list)
    rematerialized: list[int] = field(default_factory=list)
    kicked: list[tuple[int, str]] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    expired: int = 0
    held: int = 0
    failed_over: int = 0


def _lost_materializes(now: datetime) -> list[int]:
    """Ring materialize again for sends whose doorbell was lost or whose materialize died; returns their ids."""
    cutoff = now - timedelta(seconds=MATERIALIZE_GRACE_SECONDS)
    asked_long_ago = Q(materialize_requested_at__lt=cutoff) | Q(
        materialize_requested_at__isnull=True, created_at__lt=cutoff
    )
    with transaction.atomic():
        # Queued, or sending with chunks still to write whose last chunk is old (materialize.py stamps each one): a
        # materialize that died between chunks resumes.
        stalled = Q(state=Send.State.SENDING, materialized_at__isnull=True, materialize_requested_at__lt=cutoff)
        queued = Send.objects.filter((asked_long_ago & Q(state=Send.State.QUEUED)) | stalled).order_by("pk")
        if connection.vendor == "postgresql":
            # A running materialize holds this row's lock for its whole transaction: skip it, it is in flight.
            queued = queued.select_for_update(skip_locked=True)
        lost = list(queued.values_list("pk", flat=True)[:REKICK_LIMIT])
        if lost:
            Send.objects.filter(pk__in=lost).update(materialize_requested_at=now)
            for send_id in lost:
                materialize_kick(send_id=send_id)
    return lost


def sends_sweep() -> SweepOutcome:
    outcome = SweepOutcome(started=send_start_due())
    now = timezone.now()
    outcome.rematerialized = _lost_materializes(now)
    outcome.expired = messages_expire(now=now)  # rows past their send's validity (the send can then complete)
    outcome.held = sends_hold_quiet(now=now)  # rows whose recipients' quiet hours open (or are about to)
    outcome.failed_over = failover_sweep(now=now)  # chain rows that failed or waited too long: the next channel
    due = Q(state=S.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    expired = takeover_q(now=now, budget=request_budget(get_provider()))  # rows the reconciler may take over
    sending = Send.objects.filter(state=Send.State.SENDING).values_list("pk", flat=True)
    for send_id in list(sending):
        channels = sorted(
            set(Message.objects.filter(due | expired, send_id=send_id).values_list("channel", flat=True).distinct())
        )
        for channel in channels:
            dispatch_kick(send_id=send_id, channels=[channel], parallel=1)
            outcome.kicked.append((send_id, channel))
        if not channels and send_complete_if_done(send_id=send_id):
            outcome.completed.append(send_id)
    return outcome

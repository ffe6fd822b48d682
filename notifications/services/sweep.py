"""The periodic doorbell: start scheduled sends, re-kick sends with due work, complete finished ones.

Celery messages can be lost (a crash between COMMIT and ``delay``, a Redis flush); the rows are the outbox, so this
sweep, run every few seconds by beat, finds committed work nobody is doing. Every step is idempotent; running it
twice, or from two beats, starts nothing twice (``send_start_due`` uses a conditional UPDATE).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from notifications.models import Message, Send
from notifications.services.doorbell import dispatch_kick, materialize_kick
from notifications.services.sends import send_complete_if_done, send_start_due

S = Message.State
QUEUED_GRACE_SECONDS = 10


@dataclass
class SweepOutcome:
    started: list[int] = field(default_factory=list)
    rematerialized: list[int] = field(default_factory=list)
    kicked: list[tuple[int, str]] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)


def sends_sweep() -> SweepOutcome:
    outcome = SweepOutcome(started=send_start_due())
    now = timezone.now()
    stale = Send.objects.filter(state=Send.State.QUEUED, created_at__lt=now - timedelta(seconds=QUEUED_GRACE_SECONDS))
    for send_id in stale.values_list("pk", flat=True):
        materialize_kick(send_id=send_id)
        outcome.rematerialized.append(send_id)
    due = Q(state=S.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    expired = Q(state=S.SENDING, lease_until__lt=now)
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

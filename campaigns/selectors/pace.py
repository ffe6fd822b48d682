"""A paced notice's arithmetic: how long it takes and how far it should be by now. No queries, no writes.

Why here: the Send step shows the estimated finish before Send and the notice page compares expected with actual
progress while it sends; one computation serves both. Every channel goes at the pace on its own, in parallel, so
the time is that of the largest channel, at most the number of people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from notifications.models import Message, Send
from notifications.selectors import Progress

#: Messages that have not gone out yet (or were never meant to).
NOT_OUT = (Message.State.PENDING, Message.State.SENDING, Message.State.SKIPPED)


def pace_duration(recipients: int, pace_per_minute: int | None) -> timedelta | None:
    """How long ``recipients`` messages per channel take at the pace (None: not paced)."""
    if not pace_per_minute or recipients <= 0:
        return None
    return timedelta(seconds=math.ceil(recipients * 60 / pace_per_minute))


def pace_finish(recipients: int, pace_per_minute: int | None, start: datetime) -> datetime | None:
    """When a send of ``recipients`` starting at ``start`` should finish at the pace."""
    duration = pace_duration(recipients, pace_per_minute)
    return start + duration if duration is not None else None


def pace_expected(total: int, pace_per_minute: int | None, started_at: datetime | None, now: datetime) -> int | None:
    """How many of a channel's ``total`` messages the pace allows by ``now`` (None: not paced or not started)."""
    if not pace_per_minute or started_at is None:
        return None
    elapsed = max((now - started_at).total_seconds(), 0.0)
    return min(total, math.floor(elapsed * pace_per_minute / 60))


@dataclass(frozen=True)
class PaceRow:
    channel: str
    total: int
    expected: int
    actual: int


def pace_rows(send: Send | None, progress: Progress, now: datetime) -> list[PaceRow]:
    """Per channel of a paced send that started: messages meant to go out, expected out by now, actually out."""
    if send is None or not send.pace_per_minute or send.started_at is None:
        return []
    rows = []
    for channel, states in sorted(progress.by_channel.items()):
        total = sum(n for state, n in states.items() if state != Message.State.SKIPPED)
        actual = sum(n for state, n in states.items() if state not in NOT_OUT)
        expected = pace_expected(total, send.pace_per_minute, send.started_at, now) or 0
        rows.append(PaceRow(channel=channel, total=total, expected=expected, actual=actual))
    return rows

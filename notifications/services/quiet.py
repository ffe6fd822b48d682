"""Quiet hours: a non-urgent notice waits while the recipient's local time is inside ``QUIET_HOURS``.

Why: a maintenance notice at 3 a.m. wakes people, an outage notice must not wait. The decision is taken once per
message, when its row is made (``materialize.py``, inside the same transaction, so no worker ever sees a row
without it): a recipient whose local time (``Client.time_zone``, else ``CLIENT_DEFAULT_TIME_ZONE``) is inside the
window gets ``next_attempt_at`` = the window's end in their zone. That column is the claim's not-before time
already (retries use it), so the claim skips the row until then, the dispatch task leaves it to the sweeper, and
the sweeper rings the doorbell once it is due. The row stays ``pending`` (never lost, sent once) and the send's
validity still applies: past ``valid_until`` it expires like any pending row (``validity.py``).

Which notices: those whose ``Send.notice_kind`` is in ``QUIET_HOURS_KINDS`` (default: maintenance), never a
mandatory one, never a test send. Outages, degraded service, updates and resolved notices go at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.utils import timezone

from notifications.models import Message, Send

S = Message.State
WINDOW_RE = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


@dataclass(frozen=True)
class Window:
    """A daily window of local wall-clock time; ``start > end`` crosses midnight ("21:00-08:00")."""

    start: time
    end: time


def parse_window(text: str) -> Window | None:
    """``"HH:MM-HH:MM"`` as a window; empty (or equal ends) means none. Raise ``ValueError`` when malformed."""
    if not text.strip():
        return None
    match = WINDOW_RE.match(text)
    if match is None:
        raise ValueError(f'quiet hours are "HH:MM-HH:MM", e.g. "21:00-08:00", not {text!r}')
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    window = Window(time(h1, m1), time(h2, m2))
    return None if window.start == window.end else window


def configured_window() -> Window | None:
    return parse_window(settings.QUIET_HOURS or "")


def zone_of(name: str) -> ZoneInfo:
    """The recipient's zone: their own, else the configured default, else UTC (an unknown name never fails)."""
    for candidate in (name, settings.CLIENT_DEFAULT_TIME_ZONE):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def quiet_until(now: datetime, zone: ZoneInfo, window: Window) -> datetime | None:
    """When the window ends for someone in ``zone`` (aware, UTC), or None when ``now`` is outside it there."""
    local = now.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    if window.start < window.end:  # within one day, e.g. 12:00-14:00
        inside, end_day = window.start <= wall < window.end, local.date()
    else:  # across midnight: the evening part ends tomorrow, the morning part today
        inside = wall >= window.start or wall < window.end
        end_day = local.date() + timedelta(days=1) if wall >= window.start else local.date()
    if not inside:
        return None
    # A wall time skipped by a DST change resolves to the instant just after the gap (fold=0), still the window end.
    return datetime.combine(end_day, window.end, tzinfo=zone).astimezone(UTC)


def applies_to(send: Send) -> bool:
    return not send.is_test and not send.mandatory and bool(send.notice_kind) and send.notice_kind in quiet_kinds()


def quiet_kinds() -> tuple[str, ...]:
    return tuple(settings.QUIET_HOURS_KINDS)


def messages_hold_quiet(*, send: Send, now: datetime | None = None) -> int:
    """Give the send's pending rows of recipients now inside quiet hours their window's end; returns how many.

    One UPDATE per distinct recipient zone that is inside the window (a handful), not one per row.
    """
    window = configured_window()
    if window is None or not applies_to(send):
        return 0
    now = now or timezone.now()
    pending = Message.objects.filter(send_id=send.pk, state=S.PENDING, client__isnull=False)
    names = set(pending.order_by().values_list("client__time_zone", flat=True).distinct())
    held = 0
    for name in sorted(names):
        until = quiet_until(now, zone_of(name or ""), window)
        if until is not None:
            held += pending.filter(client__time_zone=name).update(next_attempt_at=until, updated_at=now)
    return held

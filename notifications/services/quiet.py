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
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.models import Message, Send
from notifications.services.bulksql import values_source

S = Message.State
TABLE = Message._meta.db_table
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
    return not send.is_test and not send.mandatory and send.notice_kind in quiet_kinds()


def quiet_kinds() -> tuple[str, ...]:
    return tuple(kind for kind in settings.QUIET_HOURS_KINDS if kind)


def hold_horizon() -> timedelta:
    """How early a window counts as open: a batch claimed just before a sweep may be sent up to a lease later, so
    rows are held from two sweeps plus one lease before the window starts (about 2 minutes by default)."""
    return timedelta(seconds=2 * settings.DISPATCH_SWEEP_SECONDS + settings.DISPATCH_LEASE_SECONDS)


def hold_until(now: datetime, zone: ZoneInfo, window: Window) -> datetime | None:
    """The window's end if ``zone`` is inside it now or will be within the horizon, else None."""
    return quiet_until(now, zone, window) or quiet_until(now + hold_horizon(), zone, window)


@cache
def _zone_names() -> tuple[str, ...]:
    return ("", *sorted(available_timezones()))  # "": a client without a zone of its own (the default applies)


def held_zones(now: datetime, window: Window) -> list[tuple[str, datetime]]:
    """(zone name as stored on clients, until) for every zone inside the window now or soon."""
    held = ((name, hold_until(now, zone_of(name), window)) for name in _zone_names())
    return [(name, until) for name, until in held if until is not None]


def _hold(send_ids: list[int], now: datetime, *, due_only: bool, clients: tuple[int, int | None] | None = None) -> int:
    """One UPDATE: pending rows of these sends whose client's zone is held get the window's end as not-before
    (only those of clients with ``after < id <= through`` when ``clients`` is ``(after, through)``)."""
    window = configured_window()
    zones = held_zones(now, window) if window is not None and send_ids else []
    if not zones:
        return 0
    source, params = values_source((("zone", "text"), ("until", "datetime")), zones)
    client = Message._meta.get_field("client").related_model._meta.db_table
    ids = ", ".join("%s" for _id in send_ids)
    sql = (
        f"UPDATE {TABLE} AS m SET next_attempt_at = v.until, updated_at = %s FROM {source}, {client} AS c "
        f"WHERE c.id = m.client_id AND c.time_zone = v.zone AND m.state = 'pending' AND m.send_id IN ({ids}) "
        f"AND (m.next_attempt_at IS NULL OR m.next_attempt_at < v.until)"
    )
    extra: list[Any] = []
    if due_only:  # the sweep looks only at rows the claim could take before the window opens (an index range)
        sql += " AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= %s)"
        extra.append(_db_time(now + hold_horizon()))
    if clients is not None:  # one materialize chunk: its own clients only
        sql += " AND m.client_id > %s" + (" AND m.client_id <= %s" if clients[1] is not None else "")
        extra += [value for value in clients if value is not None]
    with connection.cursor() as cursor:
        cursor.execute(sql, [_db_time(now), *params, *send_ids, *extra])
        return max(cursor.rowcount, 0)


def _db_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if connection.vendor != "postgresql" else value


def messages_hold_quiet(
    *, send: Send, now: datetime | None = None, clients: tuple[int, int | None] | None = None
) -> int:
    """At materialize: hold the send's pending rows of recipients inside quiet hours (of one chunk's clients,
    ``(after, through)``, when given); returns how many."""
    if not applies_to(send):
        return 0
    return _hold([send.pk], now or timezone.now(), due_only=False, clients=clients)


def sends_hold_quiet(*, now: datetime | None = None) -> int:
    """On every sweep: hold the due rows of sending quiet-hours sends whose recipients' window opens (or opened:
    a retry time, a paused send resumed, a big or paced send still going at the window's start)."""
    kinds = quiet_kinds()
    if configured_window() is None or not kinds:
        return 0
    sends = Send.objects.filter(state=Send.State.SENDING, is_test=False, mandatory=False, notice_kind__in=kinds)
    return _hold(list(sends.values_list("pk", flat=True)), now or timezone.now(), due_only=True)

"""A quiet-hours window computed from the current time, so tests of it are deterministic whenever they run."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone


def window_around_tokyo_now() -> str:
    """Two hours around Tokyo's current time: Tokyo is inside, São Paulo (12 h behind, no DST) is always outside."""
    local = timezone.now().astimezone(ZoneInfo("Asia/Tokyo"))
    return f"{(local - timedelta(hours=1)):%H:%M}-{(local + timedelta(hours=1)):%H:%M}"


def window_ended_in_tokyo() -> str:
    """Two hours that ended a minute ago in Tokyo (and are nowhere near São Paulo's time)."""
    local = timezone.now().astimezone(ZoneInfo("Asia/Tokyo"))
    return f"{(local - timedelta(hours=2)):%H:%M}-{(local - timedelta(minutes=1)):%H:%M}"

"""The warning at the top of every staff page when notices would not go out as expected: no worker has been seen for
a minute (the heartbeat of outage_portal/heartbeat.py, the source /readyz reads), or the provider has been failing
(the outcomes of the latest provider requests, ``notifications.ProviderCall``). Ops must know before they press Send.

It costs one cache read per page: the checks run at most every ``STAFF_WARNING_CACHE_SECONDS`` per cache.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone

from notifications.models import ProviderCall
from outage_portal.heartbeat import worker_heartbeat_age

CACHE_KEY = "portal:staff-warnings"
STAFF_WARNING_CACHE_SECONDS = 5
PROVIDER_WINDOW = timedelta(minutes=5)
PROVIDER_LOOK_AT = 20  # latest requests considered
PROVIDER_FAILURES = 3  # failed requests among them (the latest one failed too) that make a warning
FAILED_OUTCOMES = (ProviderCall.Outcome.RETRYABLE, ProviderCall.Outcome.PERMANENT, ProviderCall.Outcome.AMBIGUOUS)


@dataclass(frozen=True)
class StaffWarning:
    key: str
    title: str
    detail: str


def _ago(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 2:
        return f"{int(seconds)} seconds"
    if minutes < 120:
        return f"{minutes} minutes"
    return f"{minutes // 60} hours"


def worker_warning() -> StaffWarning | None:
    age = worker_heartbeat_age()
    if age is not None and age <= settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS:
        return None
    title = "No worker has been seen:" if age is None else f"No worker has been seen for {_ago(age)}:"
    return StaffWarning(
        key="worker",
        title=title,
        detail="notices and tests wait until one runs (make run starts one; in production, check the workers).",
    )


def provider_warning() -> StaffWarning | None:
    since = timezone.now() - PROVIDER_WINDOW
    latest = list(
        ProviderCall.objects.filter(at__gte=since)
        .order_by("-at", "-id")
        .values("outcome", "http_status", "error", "at", "channel")[:PROVIDER_LOOK_AT]
    )
    failed = [call for call in latest if call["outcome"] in FAILED_OUTCOMES]
    if not latest or latest[0]["outcome"] not in FAILED_OUTCOMES or len(failed) < PROVIDER_FAILURES:
        return None
    last = latest[0]
    when = timezone.localtime(last["at"]).strftime("%H:%M")
    status = f"HTTP {last['http_status']}" if last["http_status"] else str(last["outcome"])
    error = f": {str(last['error'])[:120]}" if last["error"] else ""
    return StaffWarning(
        key="provider",
        title="The SMS and email provider has been failing:",
        detail=(
            f"{len(failed)} of the last {len(latest)} requests in {int(PROVIDER_WINDOW.total_seconds() // 60)} "
            f"minutes failed (latest {when}, {last['channel']}, {status}{error}). Messages are retried, but may be late."
        ),
    )


def current_warnings() -> list[StaffWarning]:
    """The warnings now, from the cache when they were worked out in the last few seconds."""
    cached = cache.get(CACHE_KEY)
    if isinstance(cached, list):
        return [StaffWarning(**item) for item in cached]
    warnings = [warning for warning in (worker_warning(), provider_warning()) if warning is not None]
    cache.set(CACHE_KEY, [asdict(warning) for warning in warnings], STAFF_WARNING_CACHE_SECONDS)
    return warnings


def staff_warnings(request: HttpRequest) -> dict[str, Any]:
    """Context processor: ``staff_warnings`` for signed-in staff pages (customers' pages and the login never)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"staff_warnings": current_warnings}

"""``/metrics`` in the Prometheus text format, read from the database (the source of truth), not from counters
kept in one process: every web replica answers the same numbers, whichever worker did the work.

Protected: a ``Authorization: Bearer <METRICS_TOKEN>`` header, or a staff session. 401 without credentials or
with a wrong token, 403 for a signed-in user who is not staff.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from notifications.models import DeliveryReport, Message, ProviderCall, Send
from outage_portal.heartbeat import worker_heartbeat_read

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _family(name: str, kind: str, help_text: str, samples: Iterable[tuple[dict, float]]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    for labels, value in samples:
        label_text = ",".join(f'{key}="{_escape(val)}"' for key, val in labels.items())
        lines.append(f"{name}{{{label_text}}} {value:g}" if label_text else f"{name} {value:g}")
    return lines


def metrics_snapshot(*, now: datetime | None = None) -> list[str]:
    """Every metric family, as exposition lines."""
    now = now or timezone.now()
    messages = Message.objects.order_by()
    by_state = messages.values("state", "channel").annotate(n=Count("id")).order_by("state", "channel")
    recent = (
        messages.filter(accepted_at__gte=now - timedelta(minutes=1))
        .values("channel")
        .annotate(n=Count("id"))
        .order_by("channel")
    )
    pending = messages.filter(state=Message.State.PENDING)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    queue = list(
        pending.values("channel")
        .annotate(due=Count("id", filter=due), waiting=Count("id", filter=~due))
        .order_by("channel")
    )
    calls = (
        ProviderCall.objects.order_by()
        .values("channel", "outcome")
        .annotate(n=Count("id"), carried=Sum("message_count"))
        .order_by("channel", "outcome")
    )
    reports = (
        DeliveryReport.objects.order_by()
        .values("source", "is_orphan")
        .annotate(n=Count("id"))
        .order_by("source", "is_orphan")
    )
    sends = Send.objects.order_by().values("state").annotate(n=Count("id")).order_by("state")
    lines: list[str] = []
    lines += _family(
        "portal_messages",
        "gauge",
        "Messages by state and channel.",
        (({"state": row["state"], "channel": row["channel"]}, row["n"]) for row in by_state),
    )
    lines += _family(
        "portal_messages_accepted_last_minute",
        "gauge",
        "Messages the provider accepted in the last 60 seconds (send rate per minute).",
        (({"channel": row["channel"]}, row["n"]) for row in recent),
    )
    lines += _family(
        "portal_queue_depth",
        "gauge",
        "Pending messages due to be sent now.",
        (({"channel": row["channel"]}, row["due"]) for row in queue),
    )
    lines += _family(
        "portal_queue_waiting",
        "gauge",
        "Pending messages waiting for their retry time.",
        (({"channel": row["channel"]}, row["waiting"]) for row in queue),
    )
    lines += _family(
        "portal_provider_calls_total",
        "counter",
        "HTTP requests to the provider by outcome.",
        (({"channel": row["channel"], "outcome": row["outcome"]}, row["n"]) for row in calls),
    )
    lines += _family(
        "portal_provider_call_messages_total",
        "counter",
        "Messages carried by provider requests, by outcome.",
        (({"channel": row["channel"], "outcome": row["outcome"]}, row["carried"] or 0) for row in calls),
    )
    lines += _family(
        "portal_delivery_reports_total",
        "counter",
        "Delivery reports received, by source.",
        (({"source": row["source"], "orphan": str(row["is_orphan"]).lower()}, row["n"]) for row in reports),
    )
    lines += _family("portal_sends", "gauge", "Sends by state.", (({"state": row["state"]}, row["n"]) for row in sends))
    beat = worker_heartbeat_read()
    if beat is not None:
        age = max(0.0, now.timestamp() - float(beat["at"]))
        lines += _family(
            "portal_worker_heartbeat_age_seconds",
            "gauge",
            "Seconds since the last heartbeat of any Celery worker.",
            [({}, round(age, 3))],
        )
    return lines


def _bearer(request: HttpRequest) -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def metrics_access(request: HttpRequest) -> int:
    """200 when allowed, else the status to answer: 401 (no or wrong credentials) or 403 (not staff)."""
    token = _bearer(request)
    if token is not None:
        expected = settings.METRICS_TOKEN
        return 200 if expected and hmac.compare_digest(token.encode(), expected.encode()) else 401
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 401
    return 200 if user.is_staff else 403


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    status = metrics_access(request)
    if status == 401:
        response = HttpResponse("authentication required\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if status == 403:
        return HttpResponse("staff only\n", status=403, content_type="text/plain")
    return HttpResponse("\n".join(metrics_snapshot()) + "\n", content_type=CONTENT_TYPE)

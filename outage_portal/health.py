"""Liveness and readiness for load balancers and orchestrators.

``/healthz`` says the process answers. ``/readyz`` checks what a send needs (the database, the broker, at least
one live worker), each with its own status, and answers 503 when any fails. Both answer before host validation
and the HTTPS redirect (``HealthCheckMiddleware``), because probes call the container by its address over HTTP.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from kombu import Connection

from outage_portal.heartbeat import worker_heartbeat_read
from outage_portal.logging import redact

OK, FAIL = "ok", "fail"


def _error(exc: BaseException) -> str:
    return redact(f"{type(exc).__name__}: {exc}")[:300]


def database_check() -> dict:
    """A round trip to the database (``SELECT 1``) on the configured alias."""
    try:
        with connections[settings.READYZ_DATABASE_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure to reach it means not ready
        return {"status": FAIL, "error": _error(exc)}
    return {"status": OK}


def broker_check() -> dict:
    """The Celery broker accepts a connection (Redis), or its folders are writable (filesystem broker)."""
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
        if folder.is_dir() and os.access(folder, os.W_OK):
            return {"status": OK, "transport": "filesystem"}
        return {"status": FAIL, "transport": "filesystem", "error": f"broker folder {folder} is missing or read-only"}
    timeout = settings.READYZ_TIMEOUT_SECONDS
    options = {**settings.CELERY_BROKER_TRANSPORT_OPTIONS, "socket_timeout": timeout, "socket_connect_timeout": timeout}
    try:
        with Connection(url, connect_timeout=timeout, transport_options=options) as connection:
            # kombu-stubs say int; kombu compares the timeout with a float clock, so fractions of a second work.
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)  # type: ignore[arg-type]
            transport = connection.transport_cls
    except Exception as exc:  # refused, timed out, bad credentials
        return {"status": FAIL, "error": _error(exc)}
    return {"status": OK, "transport": transport}


def worker_check() -> dict:
    """At least one worker has written a heartbeat recently (``outage_portal.heartbeat``)."""
    try:
        beat = worker_heartbeat_read()
    except Exception as exc:  # the cache holds the heartbeats
        return {"status": FAIL, "error": _error(exc)}
    if beat is None:
        return {"status": FAIL, "error": "no worker has reported a heartbeat"}
    age = max(0.0, time.time() - float(beat["at"]))
    result = {"hostname": beat.get("hostname", ""), "age_seconds": round(age, 1)}
    if age > settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS:
        return {
            "status": FAIL,
            **result,
            "error": f"last worker heartbeat is older than {settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS} s",
        }
    return {"status": OK, **result}


READINESS_CHECKS: dict[str, Callable[[], dict]] = {
    "database": database_check,
    "broker": broker_check,
    "worker": worker_check,
}


def readiness() -> tuple[bool, dict]:
    """Run every check, timing each; ready only when all pass."""
    checks = {}
    for name, check in READINESS_CHECKS.items():
        started = time.monotonic()
        checks[name] = {**check(), "ms": round((time.monotonic() - started) * 1000, 1)}
    ready = all(check["status"] == OK for check in checks.values())
    return ready, {"status": OK if ready else FAIL, "checks": checks}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive and serving requests."""
    return JsonResponse({"status": OK})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    ready, body = readiness()
    return JsonResponse(body, status=200 if ready else 503)


PROBES = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    """Answers the probes first, whatever the Host header and scheme, so ALLOWED_HOSTS and HTTPS stay strict."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)

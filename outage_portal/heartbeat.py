"""Worker heartbeats: each worker writes the time it was last alive into the cache, so /readyz can tell.

It works the same on Redis and on the filesystem broker (where ``control.ping`` has no reply channel). Workers
write when they start and on Celery's own event heartbeat, at most every ``WORKER_HEARTBEAT_WRITE_SECONDS``; the
write runs in the worker's consumer loop, so a stuck consumer stops beating. Loaded by ``CELERY_IMPORTS``.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

from celery.signals import heartbeat_sent, worker_ready
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

CACHE_KEY = "portal:worker-heartbeat"
_last_write = {"at": 0.0}


def worker_heartbeat_write(*, hostname: str, at: float | None = None) -> None:
    """Record that ``hostname`` is alive now (or at ``at``, a UNIX time)."""
    moment = time.time() if at is None else at
    cache.set(CACHE_KEY, {"hostname": hostname, "at": moment}, timeout=24 * 3600)
    _last_write["at"] = moment


def worker_heartbeat_read() -> dict | None:
    """The last heartbeat of any worker: ``{"hostname": str, "at": float}``, or None when none was ever seen."""
    value = cache.get(CACHE_KEY)
    return value if isinstance(value, dict) and "at" in value else None


def worker_heartbeat_age() -> float | None:
    """Seconds since the last heartbeat of any worker; None when none was ever seen."""
    beat = worker_heartbeat_read()
    return None if beat is None else max(0.0, time.time() - float(beat["at"]))


def _safe_write(hostname: str) -> None:
    try:
        worker_heartbeat_write(hostname=hostname)
    except Exception:  # a cache outage must never stop a worker; /readyz will report it
        logger.warning("worker heartbeat could not be written", exc_info=True)


@worker_ready.connect(dispatch_uid="portal_heartbeat_ready")
def _on_worker_ready(sender: object = None, **kwargs: Any) -> None:
    _safe_write(getattr(sender, "hostname", None) or socket.gethostname())


@heartbeat_sent.connect(dispatch_uid="portal_heartbeat_sent")
def _on_heartbeat(sender: object = None, **kwargs: Any) -> None:
    if time.time() - _last_write["at"] >= settings.WORKER_HEARTBEAT_WRITE_SECONDS:
        hostname = getattr(getattr(sender, "eventer", None), "hostname", None) or socket.gethostname()
        _safe_write(hostname)

"""Login throttle: after a few failed attempts for one username from one address, refuse logins for a while.

Counted in the cache (Redis in production, shared by every web process). A locked pair is refused before the
password is checked, so a locked account cannot be used to test passwords. The key hashes the username, so no
username is kept in the cache in clear.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the entry TRUSTED_PROXY_COUNT hops back in X-Forwarded-For."""
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(kind: str, username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}\x00{address}".encode()).hexdigest()[:32]
    return f"portal:login:{kind}:{digest}"


def login_lock_remaining(*, username: str, address: str) -> int:
    """Seconds left on a lock for this pair; 0 when logins are allowed."""
    until = cache.get(_key("lock", username, address))
    return max(0, math.ceil(until - time.time())) if until else 0


def login_failure_record(*, username: str, address: str) -> int:
    """Count one failed attempt; lock the pair when the limit is reached. Returns the lock in seconds (0 if none)."""
    failures_key = _key("fail", username, address)
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    cache.add(failures_key, 0, timeout=window)
    try:
        failures = cache.incr(failures_key)
    except ValueError:  # expired between add and incr
        cache.set(failures_key, 1, timeout=window)
        failures = 1
    if failures < settings.LOGIN_THROTTLE_ATTEMPTS:
        return 0
    lock = settings.LOGIN_THROTTLE_LOCK_SECONDS
    cache.set(_key("lock", username, address), time.time() + lock, timeout=lock)
    cache.delete(failures_key)
    return lock


def login_success_record(*, username: str, address: str) -> None:
    """A successful login forgets the failures of this pair."""
    cache.delete_many([_key("fail", username, address), _key("lock", username, address)])

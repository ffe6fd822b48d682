"""The version of everything the public sees: public_site caches its pages under it, and each change moves it.

One key for the whole public side (status page, incident pages, feeds, short-link targets): updates come minutes
apart, so invalidating all of it at once costs a few renders and keeps the rule simple. The version is a fresh
random token, not a counter, so a cache that was emptied (Redis restarted) can never bring an old page back under a
version that looks current. It moves when the change commits, so no reader renders the old rows under the new one.

Every public request needs the version, so a process reads it from the cache at most once every
``PUBLIC_VERSION_CHECK_SECONDS`` (1 s): on a busy two-core machine the Redis round trip, not Python, was most of a
cached page's time (it waits for Redis to be scheduled), and a change still reaches every process within a second
(the process that made it at once). With Redis the read is one plain ``GET`` on a client kept for the process:
Django's cache builds a new Redis client object per call, which measured as half of the request's own work.
"""

from __future__ import annotations

import secrets
import time
import weakref
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.db import transaction

VERSION_KEY = "public:version"
_clients: weakref.WeakKeyDictionary[BaseCache, Any] = weakref.WeakKeyDictionary()


def raw_redis() -> tuple[Any, RedisCache] | None:
    """This thread's Redis client behind the default cache (kept for the process), with the cache; None without
    Redis. Keys must go through ``cache.make_and_validate_key`` to be the ones Django's cache API uses."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    client = _clients.get(backend)
    if client is None:
        client = _clients[backend] = backend._cache.get_client(write=True)
    return client, backend


def _token() -> str:
    return secrets.token_hex(8)


_seen: tuple[str, float] | None = None  # (version, time.monotonic() when read) in this process


def public_version() -> str:
    """The current version, as read from the cache at most ``PUBLIC_VERSION_CHECK_SECONDS`` ago in this process."""
    global _seen
    seen, now = _seen, time.monotonic()
    if seen is not None and now - seen[1] < settings.PUBLIC_VERSION_CHECK_SECONDS:
        return seen[0]
    version = _read_version()
    _seen = (version, now)
    return version


def _read_version() -> str:
    """The version in the cache; the first reader after an empty cache sets one."""
    fast = raw_redis()
    if fast is not None:
        client, backend = fast
        raw = client.get(backend.make_and_validate_key(VERSION_KEY))
        if raw is not None:
            return bytes(raw).hex()
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _token(), timeout=None)
        version = cache.get(VERSION_KEY) or _token()
    if fast is not None:
        raw = fast[0].get(fast[1].make_and_validate_key(VERSION_KEY))
        return bytes(raw).hex() if raw is not None else str(version)
    return str(version)


def _move() -> None:
    global _seen
    cache.set(VERSION_KEY, _token(), timeout=None)
    _seen = None  # this process sees the change at once


def public_changed() -> None:
    """Something public changed: every cached public page is stale once the current transaction commits."""
    transaction.on_commit(_move)


def version_forget() -> None:
    """Read the version again on the next request (tests, and a new process)."""
    global _seen
    _seen = None

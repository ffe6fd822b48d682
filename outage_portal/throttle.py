"""Login throttle: failed logins lock a username from an address, and an address that guesses too much.

Two budgets, counted in the cache (Redis in production, shared by every web process):

- **username and address**: ``LOGIN_THROTTLE_ATTEMPTS`` failures lock that pair. The username is normalised as
  Django's login form normalises it before looking the user up (Unicode NFKC, so the fullwidth ``ｏｐｓ２`` is
  ``ops2``), then case-folded and trimmed: every spelling that can log in as a user counts against that user.
- **address**: ``LOGIN_THROTTLE_IP_ATTEMPTS`` failures from one address, whatever the usernames, lock the
  address, so guesses spread over many usernames are stopped too. A successful login does not refill it.

A lock is checked before the password, so a locked account cannot be used to test passwords. Keys hold hashes, so
no username or address is kept in the cache in clear.
"""

from __future__ import annotations

import hashlib
import math
import time
import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from clients.pages import visitor_address


def client_address(request: HttpRequest) -> str:
    """The caller's address: REMOTE_ADDR, or the entry TRUSTED_PROXY_COUNT hops back in X-Forwarded-For."""
    return visitor_address(request)


def username_key(username: str) -> str:
    """The one spelling of a username the throttle counts: NFKC (as Django's login form), case-folded, trimmed."""
    return unicodedata.normalize("NFKC", (username or "")[:1000]).casefold().strip()


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"portal:login:{kind}:{digest}"


def _pair(username: str, address: str) -> tuple[str, str]:
    return username_key(username)[:300], address


def _remaining(key: str) -> int:
    until = cache.get(key)
    return max(0, math.ceil(until - time.time())) if until else 0


def login_lock_remaining(*, username: str, address: str) -> int:
    """Seconds left on the longer lock that applies (this username from this address, or the address); 0 if none."""
    return max(_remaining(_key("lock", *_pair(username, address))), _remaining(_key("iplock", address)))


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def login_failure_record(*, username: str, address: str) -> int:
    """Count one failed attempt against both budgets; lock what ran out. Returns the lock in seconds (0 if none)."""
    window = settings.LOGIN_THROTTLE_WINDOW_SECONDS
    lock = settings.LOGIN_THROTTLE_LOCK_SECONDS
    locked = 0
    pair = _pair(username, address)
    if _count(_key("fail", *pair), window) >= settings.LOGIN_THROTTLE_ATTEMPTS:
        cache.set(_key("lock", *pair), time.time() + lock, timeout=lock)
        cache.delete(_key("fail", *pair))
        locked = lock
    if _count(_key("ipfail", address), window) >= settings.LOGIN_THROTTLE_IP_ATTEMPTS:
        cache.set(_key("iplock", address), time.time() + lock, timeout=lock)
        cache.delete(_key("ipfail", address))
        locked = lock
    return locked


def login_success_record(*, username: str, address: str) -> None:
    """A successful login forgets the failures of this username from this address (not the address's budget)."""
    cache.delete_many([_key("fail", *_pair(username, address)), _key("lock", *_pair(username, address))])

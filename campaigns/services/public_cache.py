"""The version of everything the public sees: public_site caches its pages under it, and each change moves it.

One key for the whole public side (status page, incident pages, feeds, short-link targets): updates come minutes
apart, so invalidating all of it at once costs a few renders and keeps the rule simple. The version is a fresh
random token, not a counter, so a cache that was emptied (Redis restarted) can never bring an old page back under a
version that looks current. It moves when the change commits, so no reader renders the old rows under the new one.
"""

from __future__ import annotations

import secrets

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "public:version"


def _token() -> str:
    return secrets.token_hex(8)


def public_version() -> str:
    """The current version; the first reader after an empty cache sets one."""
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, _token(), timeout=None)
        version = cache.get(VERSION_KEY) or _token()
    return str(version)


def public_changed() -> None:
    """Something public changed: every cached public page is stale once the current transaction commits."""
    transaction.on_commit(lambda: cache.set(VERSION_KEY, _token(), timeout=None))

"""The public pages' cache: whole responses (status, headers, body) under the public version, in two tiers.

A page is rendered once per version, language and time zone and kept in the shared cache (Redis in production) and
in this process's memory, both for at most ``PUBLIC_CACHE_SECONDS`` (a maintenance window moves on by the clock).
A visitor's request costs one read of the version from the shared cache and a dictionary lookup; the response
replays the headers the full middleware stack gave the first one (CSP and the other security headers), with an
ETag, so a reload can answer 304.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from public_site.status.variant import variant_of

VARY_SPLIT = re.compile(r"\s*,\s*")
LOCAL_KEPT = 500  # pages kept per process: a few per incident and language
PAGE_PREFIX = "/status/"
SKIPPED_HEADERS = {"set-cookie", "x-request-id", "date", "etag", "cache-control"}


@dataclass(frozen=True)
class Stored:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str
    at: float  # time.time() when rendered


_local: dict[str, Stored] = {}


def page_key(request: HttpRequest) -> str | None:
    """The cache key of a public page request, or None when the request is not for a cached public page.

    ``/`` is the status page for visitors without a session; with one it goes to the portal's home view, which
    shows staff their dashboard.
    """
    path = request.path_info
    if path == "/":
        if settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        path = PAGE_PREFIX
    elif not path.startswith(PAGE_PREFIX):
        return None
    return f"{path}|{variant_of(request).key}"


def _full_key(key: str, version: str) -> str:
    return f"public:page:{version}:{hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()}"


def _fresh(stored: Stored) -> bool:
    return time.time() - stored.at < settings.PUBLIC_CACHE_SECONDS


def local_lookup(key: str, version: str) -> Stored | None:
    """This process's copy only (the WSGI fast path: no network at all)."""
    stored = _local.get(_full_key(key, version))
    return stored if stored is not None and _fresh(stored) else None


def lookup(key: str, version: str) -> Stored | None:
    full = _full_key(key, version)
    stored = _local.get(full)
    if stored is not None and _fresh(stored):
        return stored
    stored = cache.get(full)
    if isinstance(stored, Stored) and _fresh(stored):
        _remember(full, stored)
        return stored
    return None


def _remember(full: str, stored: Stored) -> None:
    if len(_local) >= LOCAL_KEPT:
        for old in [name for name, kept in list(_local.items()) if not _fresh(kept)] or list(_local)[:1]:
            _local.pop(old, None)
    _local[full] = stored


def cacheable(response: HttpResponseBase) -> bool:
    """Only a view's own public page, whole, setting no cookie and not varying with one."""
    if not getattr(response, "public_cacheable", False) or response.status_code != 200 or response.streaming:
        return False
    vary = {part.strip().lower() for part in VARY_SPLIT.split(response.get("Vary", ""))}
    return not response.cookies and "cookie" not in vary


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'


def cache_control() -> str:
    return f"public, max-age={settings.PUBLIC_BROWSER_MAX_AGE}"


def store(key: str, version: str, response: HttpResponse) -> Stored:
    body = response.content
    headers = tuple((name, value) for name, value in response.items() if name.lower() not in SKIPPED_HEADERS)
    stored = Stored(status=response.status_code, headers=headers, body=body, etag=_etag(body), at=time.time())
    full = _full_key(key, version)
    cache.set(full, stored, timeout=settings.PUBLIC_CACHE_SECONDS)
    _remember(full, stored)
    response["ETag"] = stored.etag
    response["Cache-Control"] = cache_control()
    return stored


def replay(stored: Stored, request: HttpRequest) -> HttpResponse:
    """The stored response again; 304 when the browser already has it."""
    if stored.etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(stored.body if request.method == "GET" else b"", headers=dict(stored.headers))
    response["ETag"] = stored.etag
    response["Cache-Control"] = cache_control()
    return response


def local_clear() -> None:
    """Forget this process's copies (tests)."""
    _local.clear()

"""The fastest path for the crowd: cached public pages and known short links answered at the WSGI layer.

``outage_portal/wsgi.py`` wraps Django's application with ``public_fast_path``. A GET or HEAD that the page cache
already holds in this process (public_site/status/cache.py), or a short link whose target this process knows, is
answered here without building a Django request or running the middleware stack: the cached response already has
every header the stack gave it (CSP and the other security headers). Everything else, the first request for a page
included, goes to Django, where ``PublicPageCacheMiddleware`` renders and keeps it.

Measured on the two-core machine: gunicorn alone (with its access log) answers a fixed page at about 6,700 requests
per second; the same cached page through Django and the middleware at 2,100–3,100, under other helpers' load.
Both paths compute the same key from the same request facts (``cache.page_key`` on a request-like view of the
WSGI environment), so they can never disagree on which language or zone a page is in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.http import QueryDict
from django.http.cookie import parse_cookie

from campaigns.services.clicks import click_record
from campaigns.services.public_cache import public_version, raw_redis
from notifications.content import INCIDENT_LINK_PATH
from public_site.status import cache, links

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
STATUS_TEXT = {200: "200 OK", 302: "302 Found", 304: "304 Not Modified"}


class _Request:
    """What ``cache.page_key`` and ``variant_of`` read of a request, from the WSGI environment."""

    def __init__(self, environ: dict[str, Any]) -> None:
        self.path_info = environ.get("PATH_INFO", "")
        self.META = environ
        self.GET = QueryDict(environ.get("QUERY_STRING", ""))
        raw = environ.get("HTTP_COOKIE", "")
        self.COOKIES = parse_cookie(raw) if raw else {}
        self.method = environ.get("REQUEST_METHOD", "GET")


def _page(environ: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes] | None:
    request = _Request(environ)
    key = cache.page_key(request)  # type: ignore[arg-type]
    if key is None:
        return None
    stored = cache.local_lookup(key, public_version())
    if stored is None:
        return None
    extra = [("ETag", stored.etag), ("Cache-Control", cache.cache_control())]
    if stored.etag in environ.get("HTTP_IF_NONE_MATCH", ""):
        return 304, extra, b""
    body = stored.body if request.method == "GET" else b""
    return stored.status, [*stored.headers, *extra], body


def _link(code: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
    if raw_redis() is None or not links.CODE.match(code):
        return None  # without Redis a click is a database write: Django's path does it
    target = links.known_target(code)
    if target is None:
        return None
    click_record(target.link_id)
    return 302, [("Location", links.target_path(target)), *links.REDIRECT_HEADERS, ("Content-Length", "0")], b""


def public_fast_path(application: WSGIApp) -> WSGIApp:
    def fast(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        answer = None
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            path = environ.get("PATH_INFO", "")
            if path.startswith(INCIDENT_LINK_PATH):
                answer = _link(path[len(INCIDENT_LINK_PATH) :].rstrip("/"))
            elif path == "/" or path.startswith(cache.PAGE_PREFIX):
                answer = _page(environ)
        if answer is None:
            return application(environ, start_response)
        status, headers, body = answer
        start_response(STATUS_TEXT[status], headers)
        return [body]

    return fast

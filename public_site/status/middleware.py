"""The fast path for the crowd: public pages and short links answered before sessions, CSRF and auth run.

Placed right after the request-id, health and NUL guards in ``MIDDLEWARE``. A GET or HEAD of a cached public page is
answered from the cache (public_site/status/cache.py) and a short link is counted and redirected
(public_site/status/links.py) without the rest of the stack; a page not yet cached goes through the whole stack
once, and the response (with every header the stack adds) is kept for the next visitors.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase

from campaigns.services.public_cache import public_version
from notifications.content import INCIDENT_LINK_PATH
from public_site.status import cache
from public_site.status.links import short_link_response


class PublicPageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        path = request.path_info
        if path.startswith(INCIDENT_LINK_PATH):
            return short_link_response(path[len(INCIDENT_LINK_PATH) :].rstrip("/"))
        key = cache.page_key(request)
        if key is None:
            return self.get_response(request)
        version = public_version()  # read before rendering: a change meanwhile makes this copy stale, not wrong
        stored = cache.lookup(key, version)
        if stored is not None:
            return cache.replay(stored, request)
        response = self.get_response(request)
        if isinstance(response, HttpResponse) and cache.cacheable(response):
            cache.store(key, version, response)
        return response

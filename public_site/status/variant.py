"""Which version of a public page a request asks for: its language and time zone, nothing else.

The language comes from ``?lang=`` (short links carry it), then the browser's Accept-Language, then English; the time
zone from ``?tz=`` (any IANA name) or the portal's. Anything else in the request (other parameters, cookies) does
not change the page, so it is not part of the cache key and cannot be used to bypass the cache.
"""

from __future__ import annotations

import functools
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

MAX_ZONE_LENGTH = 64


@functools.cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@dataclass(frozen=True)
class Variant:
    language: str
    time_zone: str

    @property
    def key(self) -> str:
        return f"{self.language}|{self.time_zone}"


def time_zone_of(value: str) -> str | None:
    value = (value or "")[:MAX_ZONE_LENGTH]
    return value if value in known_zones() else None


def language_of(request: HttpRequest) -> str:
    languages = dict(settings.LANGUAGES)
    asked = request.GET.get("lang", "")
    if asked in languages:
        return asked
    chosen = translation.get_language_from_request(request)
    return chosen if chosen in languages else settings.LANGUAGE_CODE


def variant_of(request: HttpRequest) -> Variant:
    zone = time_zone_of(request.GET.get("tz", "")) or settings.TIME_ZONE
    return Variant(language=language_of(request), time_zone=zone)

"""Values that read differently per recipient: dates and times in their language and time zone, and the affected
services by their name in their language.

A send's variables are shared by every recipient, but a moment (``started_at`` as an ISO 8601 time, or any
variable holding one) is written for each recipient with Babel, the CLDR's data for every language ("30 novembre
2026, 10:14 UTC+01:00", "30. November 2026, 10:14 MEZ"), in the client's time zone or ``CLIENT_DEFAULT_TIME_ZONE``.
Free text ("tonight") stays as typed. A ``Localiser`` belongs to one send's renderer: it formats each value once
per (language, time zone), so a send of 200,000 messages formats a date a few dozen times, not 200,000.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_timezone_gmt
from django.conf import settings

# An aware ISO 8601 time as datetime.isoformat() writes it: what the portal freezes for started_at and the like.
_MOMENT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:?[0-9]{2})$"
)
SERVICE_SEPARATOR = ", "
_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "})


def moment_parse(value: object) -> datetime | None:
    """The aware datetime a variable holds (a ``datetime`` or an ISO 8601 text with its offset), else None."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if not isinstance(value, str) or len(value) > 40 or not _MOMENT.match(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> tzinfo:
    """A time zone by IANA name; the configured default for a blank or unknown one (never an error mid-send)."""
    for candidate in (name, settings.CLIENT_DEFAULT_TIME_ZONE, "UTC"):
        try:
            return zoneinfo.ZoneInfo(candidate) if candidate else zoneinfo.ZoneInfo("UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zoneinfo.ZoneInfo("UTC")


@functools.lru_cache(maxsize=256)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse(language.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


def moment_format(moment: datetime, language: str, zone: str) -> str:
    """The date, the time and the zone as the language writes them: "November 30, 2026, 10:14 AM GMT"."""
    locale, tz = _locale(language), _zone(zone)
    local = moment.astimezone(tz)
    date = format_date(local, "long", locale=locale)
    time = format_time(local, "short", locale=locale)
    name = format_time(local, "z", locale=locale)  # "CET", "MEZ"; "+0100" where the language has no abbreviation
    if not any(ch.isalpha() for ch in name):
        name = get_timezone_gmt(local, "long", locale=locale)  # "UTC+01:00" as the language writes it
    pattern = str(locale.datetime_formats.get("long", "{1}, {0}")).replace("'", "")
    text = pattern.replace("{1}", date).replace("{0}", f"{time} {name}")
    # CLDR puts narrow and no-break spaces in times ("9:14\u202fAM"): one of them makes a whole SMS UCS-2, which
    # halves what a part carries. A plain space reads the same.
    return text.translate(_SPACES)


def services_translate(value: str, language: str, table: Mapping[str, Mapping[str, str]]) -> str:
    """Each affected service by its name in ``language`` (``clients.vocabulary``), unknown ones as written."""
    names = [part.strip() for part in value.split(",")]
    return SERVICE_SEPARATOR.join((table.get(name.casefold()) or {}).get(language, name) for name in names if name)


class Localiser:
    """The per-recipient values of one send: moments and the ``service`` variable, formatted once per
    (language, time zone) and kept."""

    def __init__(self, variables: Mapping[str, object], services: Callable[[], Mapping[str, Mapping[str, str]]]):
        self.moments = {name: moment for name, value in variables.items() if (moment := moment_parse(value))}
        service = variables.get("service")
        self.service = service if isinstance(service, str) and service.strip() else ""
        self._services = services
        self._table: Mapping[str, Mapping[str, str]] | None = None
        self._values: dict[tuple[str, str], dict[str, str]] = {}

    @property
    def active(self) -> bool:
        return bool(self.moments or self.service)

    def values(self, language: str, zone: str) -> dict[str, str]:
        """The localised variables for one (language, time zone); computed on first use."""
        key = (language, zone or settings.CLIENT_DEFAULT_TIME_ZONE)
        found = self._values.get(key)
        if found is None:
            found = {name: moment_format(moment, language, key[1]) for name, moment in self.moments.items()}
            if self.service and language != "en":
                if self._table is None:
                    self._table = self._services()  # one query per send, and only if a translation is needed
                found["service"] = services_translate(self.service, language, self._table)
            self._values[key] = found
        return found

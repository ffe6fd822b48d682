"""Reading untrusted JSON into plain values, with every problem reported at its field path.

``Reader`` collects errors instead of stopping at the first, so a caller learns everything wrong with a request
in one answer: ``{"errors": [{"path": "audience.buckets[1]", "message": "No bucket named 'Nroth'."}]}``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

MAX_ID = 2**63 - 1
MIN_YEAR, MAX_YEAR = 1970, 2999


def storable_text(value: str) -> bool:
    """PostgreSQL stores neither NUL characters nor lone UTF-16 surrogates (which JSON's \\u escapes allow)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ApiValidationError(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{error['path']}: {error['message']}" for error in errors))
        self.errors = errors


class Reader:
    """Typed accessors over a JSON object; each records an error at its path and returns None when invalid."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def error(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ApiValidationError(self.errors)

    def object(self, value: Any, path: str) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.error(path, "Must be a JSON object.")
            return None
        return value

    def root(self, value: Any) -> dict[str, Any]:
        """The request body's top-level object; raises at once when it is not one."""
        data = self.object(value, "")
        self.raise_if_errors()
        return data or {}

    def string(
        self,
        value: Any,
        path: str,
        *,
        max_length: int,
        required: bool = False,
        blank: bool = True,
        choices: tuple[str, ...] | None = None,
    ) -> str | None:
        if value is None:
            if required:
                self.error(path, "This field is required.")
            return None
        if not isinstance(value, str):
            self.error(path, "Must be a string.")
            return None
        if not storable_text(value):
            self.error(path, "Must be Unicode text without NUL characters or lone surrogates.")
            return None
        value = value.strip()
        if not value and (required or not blank):
            self.error(path, "Must not be empty.")
            return None
        if len(value) > max_length:
            self.error(path, f"At most {max_length} characters.")
            return None
        if choices is not None and value not in choices:
            self.error(path, f"Must be one of: {', '.join(choices)}.")
            return None
        return value

    def boolean(self, value: Any, path: str, *, default: bool = False) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(path, "Must be true or false.")
            return default
        return value

    def identifier(self, value: Any, path: str) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            self.error(path, "Must be a positive integer id.")
            return None
        return value

    def moment(self, value: Any, path: str) -> datetime | None:
        text = self.string(value, path, max_length=64)
        if not text:
            return None
        try:
            parsed = parse_datetime(text)
        except ValueError:
            parsed = None
        if parsed is None:
            self.error(path, "Must be an ISO 8601 date and time, e.g. 2026-05-03T14:30:00Z.")
            return None
        try:
            if timezone.is_naive(parsed):
                parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
            parsed = parsed.astimezone(UTC)  # PostgreSQL refuses UTC offsets beyond ±15:59
        except (OverflowError, ValueError):
            parsed = None
        if parsed is None or not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.error(path, f"Must be a time between the years {MIN_YEAR} and {MAX_YEAR}.")
            return None
        return parsed

    def array(self, value: Any, path: str, *, max_items: int, required: bool = False) -> list[Any] | None:
        if value is None:
            if required:
                self.error(path, "This field is required.")
            return None
        if not isinstance(value, list):
            self.error(path, "Must be an array.")
            return None
        if len(value) > max_items:
            self.error(path, f"At most {max_items} items.")
            return None
        return value

    def unknown_keys(self, data: dict[str, Any], allowed: tuple[str, ...], path: str = "") -> None:
        for key in data:
            if key not in allowed:
                self.error(f"{path}.{key}" if path else str(key), "Unknown field.")

"""Reading query-string values that anyone can type: text is bounded and NUL-free, ids are plain ASCII numbers.

Whatever arrives, these return something harmless (an empty string, ``None``), so a page answers instead of failing.
"""

from __future__ import annotations

import re

from django.http import QueryDict

MAX_TEXT = 200
_ID = re.compile(r"[0-9]{1,18}")


def clean_text(value: str | None, max_length: int = MAX_TEXT) -> str:
    """The value without NUL characters (PostgreSQL refuses them) or surrounding spaces, at most ``max_length``."""
    return (value or "").replace("\x00", "").strip()[:max_length]


def text_param(params: QueryDict, key: str, max_length: int = MAX_TEXT) -> str:
    return clean_text(params.get(key), max_length)


def id_param(params: QueryDict, key: str) -> int | None:
    """A database id written in ASCII digits (not '²', not 30 digits), else ``None``."""
    value = params.get(key) or ""
    return int(value) if _ID.fullmatch(value) else None

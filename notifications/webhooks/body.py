"""Reading a webhook's JSON body, with bounded time and memory, into values every later step can store.

Why so careful: the webhooks answer anyone who reaches their URL, and a body Python's ``json`` accepts can still
break what comes after it. Nesting deep enough exhausts the recursion limit (here, or later when the raw report is
written back as JSON); ``NaN``, ``Infinity`` and ``1e999`` are not JSON to PostgreSQL; a NUL character or a lone
surrogate (``"\\ud800"``) cannot be stored in a text column at all. So the body is refused with a reason (a 400)
before any query: at most ``MAX_BODY_BYTES``, at most ``MAX_DEPTH`` levels, finite numbers, and text that is valid
Unicode without NUL. The checks cost one pass over the containers (about half a microsecond per report); the
strings are looked at only when the body holds a ``\\u`` escape, the only way such characters can arrive in valid
UTF-8 JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 16


class BadBody(ValueError):
    """A body we will not read; the message says why (it is returned to the caller)."""


def body_length(request: HttpRequest) -> int:
    """The declared length of the body, refused when unreadable or over ``MAX_BODY_BYTES``."""
    declared = str(request.META.get("CONTENT_LENGTH") or "0").strip()
    if not (declared.isascii() and declared.isdigit()):
        raise BadBody("Bad Content-Length.")
    length = int(declared)
    if length > MAX_BODY_BYTES:
        raise BadBody(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    return length


def _not_a_number(literal: str) -> float:
    raise ValueError(f"{literal} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range")
    return number


_CONTAINERS = frozenset({dict, list})  # json.loads makes exactly these (no subclasses), so type() is enough


def _shallow(value: Any, room: int) -> bool:
    """True when ``value`` (a dict or list) nests no more than ``room`` containers deep."""
    if room == 0:
        return False
    for child in value.values() if type(value) is dict else value:
        if type(child) in _CONTAINERS and not _shallow(child, room - 1):
            return False
    return True


def _storable(text: str) -> bool:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            return False
    return "\x00" not in text


def _all_storable(value: Any) -> bool:
    """True when every key and string in ``value`` is valid Unicode without NUL (``value`` is shallow already)."""
    kind = type(value)
    if kind is str:
        return _storable(value)
    if kind is dict:
        return all(_storable(key) and _all_storable(child) for key, child in value.items())
    if kind is list:
        return all(_all_storable(child) for child in value)
    return True


def json_body(raw: bytes) -> Any:
    """The body as JSON values that are safe to store; raises ``BadBody`` with the reason."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadBody("The body is not UTF-8.") from None
    try:
        document = json.loads(text, parse_constant=_not_a_number, parse_float=_finite)
    except RecursionError:
        raise BadBody(f"The body is nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError:
        raise BadBody("The body is not JSON.") from None
    if type(document) in _CONTAINERS and not _shallow(document, MAX_DEPTH):
        raise BadBody(f"The body is nested deeper than {MAX_DEPTH} levels.")
    if "\\u" in text and not _all_storable(document):
        raise BadBody("The body holds text that is not valid Unicode or contains NUL.")
    return document

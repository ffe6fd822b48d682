"""The values an audience definition may hold, read strictly: ids, numbers, dates, texts and lists.

A definition comes from people (the segment admin, the outage form) and machines (the monitoring API, stored
segments), so every value is checked before it reaches a query: ids are ASCII digits within the database's range,
numbers are finite, dates are ISO dates in ASCII, texts are storable (no NUL, no lone surrogate) and short, lists
are bounded. Anything else is an ``AudienceError`` that says what is wrong, never a database error.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta
from typing import Any

MAX_ID = 2**63 - 1  # PostgreSQL bigint
MAX_IDS = 10_000  # ids in one list (buckets, clients)
MAX_VALUES = 1_000  # values of one 'in' condition
MAX_CONDITIONS = 100
MAX_TEXT = 1_000  # characters of one text value
MAX_NUMBER = 1e15


class AudienceError(ValueError):
    """An audience definition that cannot be compiled; the message says what is wrong, for the form to show."""


def shown(value: Any) -> str:
    """A value quoted in a message, cut short: a message never grows with the input."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def as_id(value: Any, where: str) -> int:
    """A positive database id: an int, or a text of ASCII digits ('²' and '١٢' are not ids)."""
    if isinstance(value, bool):
        raise AudienceError(f"{where}: {shown(value)} is not an id.")
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise AudienceError(f"{where}: {shown(value)} is not an id (a whole number from 1 to {MAX_ID}).")
    return value


def as_ids(value: Any, what: str) -> list[int]:
    if not isinstance(value, list | tuple):
        raise AudienceError(f"'{what}' must be a list of ids.")
    if len(value) > MAX_IDS:
        raise AudienceError(f"'{what}' lists {len(value):,} ids; at most {MAX_IDS:,}.")
    return [as_id(item, f"'{what}'") for item in value]


def as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else ""
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise AudienceError(f"{where}: {shown(value)} is not true or false.")


def as_number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str) or len(str(value)) > 40:
        raise AudienceError(f"{where}: {shown(value)} is not a number.")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise AudienceError(f"{where}: {shown(value)} is not a number.") from None
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise AudienceError(f"{where}: {shown(value)} is not a number between -{MAX_NUMBER:g} and {MAX_NUMBER:g}.")
    return number


def as_iso_date(value: Any, where: str) -> str:
    text = value.isoformat() if isinstance(value, date) else str(value).strip() if isinstance(value, str) else ""
    try:
        if not text.isascii() or len(text) > 40:
            raise ValueError
        (datetime if "T" in text or " " in text else date).fromisoformat(text)
    except ValueError:
        raise AudienceError(f"{where}: {shown(value)} is not a date (YYYY-MM-DD).") from None
    return text


PERIOD_UNITS = {
    "day": "days",
    "days": "days",
    "week": "weeks",
    "weeks": "weeks",
    "month": "months",
    "months": "months",
    "year": "years",
    "years": "years",
}
MAX_PERIOD = 10_000
_PERIOD = re.compile(r"^\s*([0-9]{1,5})\s*([a-z]+)\s*$")


def as_period(value: Any, where: str) -> tuple[int, str]:
    """A length of time: "6 months", "30 days", or {"amount": 6, "unit": "months"}; returns (amount, unit)."""
    if isinstance(value, dict) and set(value) == {"amount", "unit"}:
        amount, unit = value["amount"], value["unit"]
    elif isinstance(value, str) and (found := _PERIOD.match(value.lower())):
        amount, unit = int(found[1]), found[2]
    else:
        amount, unit = None, None
    unit = PERIOD_UNITS.get(unit) if isinstance(unit, str) else None
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_PERIOD or unit is None:
        raise AudienceError(f"{where}: {shown(value)} is not a length of time (e.g. 30 days, 6 months, 1 year).")
    return amount, unit


def period_start(amount: int, unit: str, today: date) -> date:
    """The day ``amount`` ``unit`` before ``today`` (31 March minus one month is 28 or 29 February)."""
    if unit in ("days", "weeks"):
        return today - timedelta(days=amount * (7 if unit == "weeks" else 1))
    months = amount * (12 if unit == "years" else 1)
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    month += 1
    if year < 1:
        return date.min
    following = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(today.day, (following - timedelta(days=1)).day))


def storable(text: str) -> bool:
    """PostgreSQL stores neither NUL characters nor lone UTF-16 surrogates (which JSON's \\u escapes allow)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_storable(value: Any, depth: int = 0) -> bool:
    """Whether PostgreSQL can store ``value`` as JSON: no NUL or lone surrogate in any key or text, not too deep."""
    if depth > 20:
        return False
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return all(json_storable(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(storable(str(key)) and json_storable(item, depth + 1) for key, item in value.items())
    return True


def as_scalar(value: Any, where: str) -> Any:
    """One text, number or true/false, of a size and content a database can compare."""
    if isinstance(value, list | dict) or value is None:
        raise AudienceError(f"{where}: the value must be a single text, number or true/false.")
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise AudienceError(f"{where}: a text value has at most {MAX_TEXT:,} characters.")
        if not storable(value):
            raise AudienceError(f"{where}: the text holds a character that cannot be stored (NUL, lone surrogate).")
    elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise AudienceError(f"{where}: {shown(value)} is too large.")
    elif isinstance(value, float) and (not math.isfinite(value) or abs(value) > MAX_NUMBER):
        raise AudienceError(f"{where}: {shown(value)} is not a number a database can compare.")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise AudienceError(f"{where}: 'in' needs a non-empty list of values.")
    if len(value) > MAX_VALUES:
        raise AudienceError(f"{where}: 'in' lists {len(value):,} values; at most {MAX_VALUES:,}.")
    return [as_scalar(item, where) for item in value]


def as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

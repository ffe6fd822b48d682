"""The one reader of Infobip's delivery results: a webhook's, a pulled report's or a log's ``results[]`` entry.

Why one: the delivery-report webhook (``notifications/webhooks/reports.py``), the report pull and the log lookup
(``client.py``) all receive the same object (message id, status group by name or id, status name, error, ``doneAt``,
message count) and must agree on what it means. The webhook reads it ``strict``: anything malformed is a
``ReportError`` naming the field, and the whole batch is refused. What Infobip's own API answers is read leniently:
a field that cannot be read is left empty (a log entry with an odd status still proves the message was received),
and only an entry without a message id is refused.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from notifications.providers.base import StatusReport

#: Infobip's status groups by id (docs/infobip.md §4.4).
STATUS_GROUPS = {0: "ACCEPTED", 1: "PENDING", 2: "UNDELIVERABLE", 3: "DELIVERED", 4: "EXPIRED", 5: "REJECTED"}
KNOWN_GROUPS = frozenset(STATUS_GROUPS.values())
MESSAGE_ID_LIMIT = 200
NAME_LIMIT = 64
DESCRIPTION_LIMIT = 500
# Dates a report can honestly carry: anything else is junk (and years past 9999 cannot be read back at all).
FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_OFFSET = timedelta(hours=14)  # the world's zones run from UTC-12 to UTC+14; PostgreSQL refuses past 15:59
TIME_TEXT_LIMIT = 40
MAX_PARTS = 32767


class ReportError(ValueError):
    """A result entry that cannot be read; the message says which field and why."""


def status_group(status: object) -> str:
    """The group of a ``status`` object, by ``groupName`` or else ``groupId``, upper case; "" when unknown."""
    if not isinstance(status, dict):
        return ""
    name = status.get("groupName")
    if isinstance(name, str):
        if name in KNOWN_GROUPS:
            return name
        return name.upper() if name.upper() in KNOWN_GROUPS else ""
    group_id = status.get("groupId")
    if name is None and isinstance(group_id, int) and not isinstance(group_id, bool):
        return STATUS_GROUPS.get(group_id, "")
    return ""


def duplicate_rejection(status: object, error: object = None) -> bool:
    """Infobip's rejection of a resent messageId under idempotent sending (docs/infobip.md, "Idempotent sending").

    Infobip documents that such a resend is "rejected during processing" but not the status it then carries, so
    this is deliberately narrow: a REJECTED status whose name or description, or whose error's, speaks of a
    duplicate. Anything else stays an ordinary rejection.
    """
    if status_group(status) != "REJECTED" or not isinstance(status, dict):
        return False
    texts = [status.get("name"), status.get("description")]
    if isinstance(error, dict):
        texts += [error.get("name"), error.get("description")]
    return any(isinstance(text, str) and "DUPLICATE" in text.upper() for text in texts)


def done_at(value: object) -> datetime | None:
    """``doneAt`` as an aware datetime; None when absent. Raises ``ReportError`` when present but unreadable."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > TIME_TEXT_LIMIT:
        raise ReportError("'doneAt' must be a timestamp.")
    # Infobip writes 2019-11-09T16:00:00.000+0100, which fromisoformat (fast, in C) reads; strptime is the fallback.
    for parse in (datetime.fromisoformat, lambda text: datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")):
        try:
            moment = parse(value)
        except (ValueError, OverflowError):
            continue
        offset = moment.utcoffset()
        if offset is None:
            continue
        # Local years 2000-2099 and an offset of at most 14 hours keep the moment inside both calendars in UTC too.
        if not (FIRST_YEAR <= moment.year <= LAST_YEAR and -MAX_OFFSET <= offset <= MAX_OFFSET):
            raise ReportError(f"'doneAt' must fall in {FIRST_YEAR}-{LAST_YEAR}, with an offset of at most 14 hours.")
        return moment
    raise ReportError("'doneAt' is not a timestamp with an offset.")


def _text(container: dict[str, Any], key: str, limit: int, *, strict: bool) -> str:
    value = container.get(key)
    if value is None:
        return ""
    if isinstance(value, str) and len(value) <= limit:
        return value
    if strict:
        raise ReportError(f"'{key}' must be text of at most {limit} characters.")
    return value[:limit] if isinstance(value, str) else ""


def _parts(result: dict[str, Any]) -> int:
    for key in ("messageCount", "smsCount"):
        value = result.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_PARTS:
            return value
    return 0


def _message_id(result: dict[str, Any], *, strict: bool) -> str:
    value = result.get("messageId")
    if not strict and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not 0 < len(value) <= MESSAGE_ID_LIMIT:
        raise ReportError("messageId is missing or not text.")
    if strict and not (value.isascii() and value.isprintable()):
        raise ReportError("messageId must be printable ASCII.")  # ours are "op-<digits>", Infobip's are ASCII too
    return value


def report_from_result(result: object, *, strict: bool = False) -> StatusReport:
    """One ``results[]`` entry as a ``StatusReport``; raises ``ReportError`` (any field when ``strict``)."""
    if not isinstance(result, dict):
        raise ReportError("must be an object.")
    message_id = _message_id(result, strict=strict)
    status = result.get("status")
    if not isinstance(status, dict):
        if strict:
            raise ReportError("status is missing.")
        status = {}
    group = status_group(status)
    if strict and not group:
        raise ReportError("status has no known group.")
    error = result.get("error")
    error = error if isinstance(error, dict) else {}
    error_name = _text(error, "name", NAME_LIMIT, strict=strict)
    error_text = _text(error, "description", DESCRIPTION_LIMIT, strict=strict)
    if not error or error.get("id", 0) == 0 or error_name == "NO_ERROR":
        error_name = error_text = ""
    try:
        when = done_at(result.get("doneAt"))
    except ReportError:
        if strict:
            raise
        when = None
    # A rejected resend (idempotent sending) says nothing about the message Infobip already has: no group, so it
    # is stored raw and applied to nothing.
    duplicate = duplicate_rejection(status, error)
    return StatusReport(
        message_id=message_id,
        status_group="" if duplicate else group,
        status_name=_text(status, "name", NAME_LIMIT, strict=strict),
        error_name=error_name,
        error_text=error_text,
        done_at=when,
        parts=_parts(result),
        raw=result,
        duplicate=duplicate,
    )

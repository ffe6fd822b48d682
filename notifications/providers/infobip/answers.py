"""What Infobip's answers mean for the engine: per-message send results, and HTTP errors as provider errors.

Why it matters: the engine resends a message only when the request was certainly not accepted. A 2xx answer is
read message by message (a message missing from it makes the whole answer ambiguous); an error status becomes a
``PermanentProviderError`` (400-class: never retry; 401/403: wrong credentials), a ``ThrottledProviderError``
(429, with its ``Retry-After``), a ``RetryableProviderError`` or, for a send that may have been stored (5xx), an
``AmbiguousProviderError``. Error texts are masked before they are logged or kept: they may quote numbers.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from notifications.masking import mask_destination, mask_text
from notifications.providers.base import (
    AmbiguousProviderError,
    OutboundMessage,
    PermanentProviderError,
    ProviderError,
    RetryableProviderError,
    SendResult,
    ThrottledProviderError,
)
from notifications.providers.infobip.reports import duplicate_rejection, status_group

logger = logging.getLogger("notifications.providers.infobip")

NOT_ACCEPTED_GROUPS = frozenset({"REJECTED", "UNDELIVERABLE", "EXPIRED"})
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 413, 422})
RETRY_AFTER_CAP = 600.0


def parse_error_body(body: object) -> tuple[str, str, list[dict[str, str]]]:
    """``(code, description, violations)`` from Infobip's new ``ApiError`` or its legacy ``requestError`` shape."""
    if not isinstance(body, dict):
        return "", "", []
    if "requestError" in body:
        exception = (body.get("requestError") or {}).get("serviceException") or {}
        violations = []
        for prop, complaints in (exception.get("validationErrors") or {}).items():
            for complaint in complaints if isinstance(complaints, list) else [complaints]:
                violations.append({"property": str(prop), "violation": str(complaint)})
        return str(exception.get("messageId", "")), str(exception.get("text", "")), violations
    violations = [
        {"property": str(item.get("property", "")), "violation": str(item.get("violation", ""))}
        for item in body.get("violations") or []
        if isinstance(item, dict)
    ]
    description = str(body.get("description", ""))
    if body.get("action"):
        description = f"{description} {body['action']}".strip()
    return str(body.get("errorCode", "")), description, violations


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta or HTTP date), capped at ``RETRY_AFTER_CAP``; ``None`` when absent."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def status_error(
    where: str, status: int, body: object, retry_after: str | None, *, sent_may_count: bool
) -> ProviderError:
    """The provider error an HTTP error status stands for (the body's code and violations, masked)."""
    code, description, violations = parse_error_body(body)
    description = mask_text(description)
    violations = [{**item, "violation": mask_text(item["violation"])} for item in violations]
    message = f"{where}: HTTP {status} {code} {description}".strip()
    logger.warning("infobip %s (%d violations)", message, len(violations))
    if status == 429:
        return ThrottledProviderError(
            message, http_status=status, code=code or "E429", retry_after=retry_after_seconds(retry_after)
        )
    if status in PERMANENT_STATUSES:
        return PermanentProviderError(message, http_status=status, code=code, violations=violations)
    if status >= 500:
        cls = AmbiguousProviderError if sent_may_count else RetryableProviderError
        return cls(message, http_status=status, code=code)
    if status == 408:
        return RetryableProviderError(message, http_status=status, code=code)
    return PermanentProviderError(message, http_status=status, code=code, violations=violations)


def send_results(
    channel: str, messages: list[OutboundMessage], data: dict[str, Any], *, idempotent: bool = False
) -> list[SendResult]:
    """One result per message of a 2xx send answer; raises ``AmbiguousProviderError`` if any message is missing.

    On a channel with idempotent sending (``idempotent``), a message rejected as a duplicate of one Infobip
    already accepted under the same messageId is accepted: Infobip has it from the earlier attempt.
    """
    details = {str(item.get("messageId")): item for item in data.get("messages") or [] if isinstance(item, dict)}
    missing = [message.message_id for message in messages if message.message_id not in details]
    if missing:
        raise AmbiguousProviderError(
            f"Infobip answered 200 without {len(missing)} of our message ids",
            http_status=200,
            code="INCOMPLETE_RESPONSE",
        )
    bulk_id = str(data.get("bulkId") or "")
    results = []
    for message in messages:
        detail = details[message.message_id]
        status = detail.get("status") or {}
        group = status_group(status)
        duplicate = idempotent and duplicate_rejection(status, detail.get("error"))
        accepted = duplicate or group not in NOT_ACCEPTED_GROUPS
        if duplicate:
            logger.info("infobip %s: a resent message was already accepted (%s)", channel, status.get("name", group))
        elif not accepted:
            logger.warning(
                "infobip %s: %s rejected at send (%s)",
                channel,
                mask_destination(message.destination),
                status.get("name", group),
            )
        results.append(
            SendResult(
                message_id=message.message_id,
                accepted=accepted,
                provider_message_id=str(detail.get("messageId", "")),
                bulk_id=bulk_id,
                # A duplicate's REJECTED status is about the copy, not the message: it keeps the status it has.
                status_group="" if duplicate else group,
                status_name="" if duplicate else status.get("name", ""),
                parts=int((detail.get("details") or {}).get("messageCount") or 0),
                error_code="" if accepted else status.get("name", group),
                error_text="" if accepted else mask_text(status.get("description", "")),
                duplicate=duplicate,
            )
        )
    return results

"""Infobip's JSON shapes as the sandbox speaks them: request validation, answers, statuses and the outcome rules.

Shapes follow docs/infobip.md (the v3 SMS and v4 email APIs); tests check them against the official client's models.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import TypeGuard

PENDING_ACCEPTED = {
    "groupId": 1,
    "groupName": "PENDING",
    "id": 26,
    "name": "PENDING_ACCEPTED",
    "description": "Message sent to next instance",
}
DELIVERED = {
    "groupId": 3,
    "groupName": "DELIVERED",
    "id": 5,
    "name": "DELIVERED_TO_HANDSET",
    "description": "Message delivered to handset",
}
UNDELIVERABLE = {
    "groupId": 2,
    "groupName": "UNDELIVERABLE",
    "id": 9,
    "name": "UNDELIVERABLE_NOT_DELIVERED",
    "description": "Message sent not delivered",
}
REJECTED = {
    "groupId": 5,
    "groupName": "REJECTED",
    "id": 14,
    "name": "REJECTED_DESTINATION",
    "description": "Message rejected: destination blocked",
}
NO_ERROR = {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "description": "No Error", "permanent": False}
ABSENT_SUBSCRIBER = {
    "groupId": 1,
    "groupName": "HANDSET_ERRORS",
    "id": 27,
    "name": "EC_ABSENT_SUBSCRIBER",
    "description": "Absent subscriber",
    "permanent": True,
}
DESTINATION_BLOCKED = {
    "groupId": 2,
    "groupName": "USER_ERRORS",
    "id": 2051,
    "name": "EC_DESTINATION_BLOCKED",
    "description": "Destination blocked",
    "permanent": True,
}
# The answer to a resent messageId when idempotency is on (``--idempotency``). Infobip documents that such a resend
# is "rejected during processing" but not the status it carries: these names and ids are the sandbox's own.
DUPLICATE = {
    "groupId": 5,
    "groupName": "REJECTED",
    "id": 87,
    "name": "REJECTED_DUPLICATE_MESSAGE_ID",
    "description": "Message rejected: a message with this messageId was already accepted",
}
DUPLICATE_ERROR = {
    "groupId": 2,
    "groupName": "USER_ERRORS",
    "id": 4087,
    "name": "EC_DUPLICATE_MESSAGE_ID",
    "description": "Duplicate messageId within the idempotency grace period",
    "permanent": True,
}
OUTCOMES = {
    "delivered": (DELIVERED, NO_ERROR),
    "undeliverable": (UNDELIVERABLE, ABSENT_SUBSCRIBER),
    "rejected": (REJECTED, DESTINATION_BLOCKED),
    "duplicate": (DUPLICATE, DUPLICATE_ERROR),
}
PRICE = {"pricePerMessage": 0.0, "currency": "EUR"}
MESSAGE_ID_MAX = 200
SMS_TO_MAX = 64


class RequestInvalid(Exception):
    """A request Infobip would answer with 400; carries the violations."""

    def __init__(self, violations: list[dict], description: str = "Request cannot be processed.") -> None:
        super().__init__(description)
        self.description = description
        self.violations = violations


def api_error(code: str, description: str, action: str = "", violations: list[dict] | None = None) -> dict:
    """Infobip's ``ApiError`` body, as ``/sms/3`` and ``/email/4`` answer."""
    return {
        "errorCode": code,
        "description": description,
        "action": action,
        "violations": violations or [],
        "resources": [],
    }


def outcome(channel: str, destination: str) -> str:
    """The documented rules (docs/sandbox.md): 666 / ``bounce…`` undeliverable, 777 / ``reject…`` rejected."""
    if channel != "email":  # SMS, Viber and WhatsApp go to a phone number
        if destination.endswith("666"):
            return "undeliverable"
        if destination.endswith("777"):
            return "rejected"
        return "delivered"
    local = destination.rpartition("@")[0].lower()
    if local.startswith("bounce"):
        return "undeliverable"
    if local.startswith("reject"):
        return "rejected"
    return "delivered"


def sms_parts(text: str) -> int:
    """Parts billed, approximated cheaply: ASCII as GSM-7 (160/153), anything else as UCS-2 (70/67)."""
    single, multi = (160, 153) if text.isascii() else (70, 67)
    length = len(text)
    return 1 if length <= single else math.ceil(length / multi)


def infobip_time(epoch: float) -> str:
    """``yyyy-MM-dd'T'HH:mm:ss.SSS+0000``, Infobip's timestamp format."""
    whole = int(epoch)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((epoch - whole) * 1000):03d}+0000"


def _filled(value: object) -> TypeGuard[str]:
    return not _blank(value)


def _blank(value: object) -> bool:
    return not isinstance(value, str) or not value.strip()


def _check_message_id(violations: list[dict], path: str, value: object) -> None:
    if value is not None and (not isinstance(value, str) or not 0 < len(value) <= MESSAGE_ID_MAX):
        violations.append({"property": f"{path}.messageId", "violation": "size must be between 1 and 200"})


def _check_webhooks(violations: list[dict], path: str, webhooks: object) -> None:
    if webhooks is None:
        return
    if not isinstance(webhooks, dict):
        violations.append({"property": f"{path}.webhooks", "violation": "must be an object"})
        return
    url = (webhooks.get("delivery") or {}).get("url") if isinstance(webhooks.get("delivery"), dict) else None
    if url is not None and (not isinstance(url, str) or not url.startswith(("http://", "https://"))):
        violations.append({"property": f"{path}.webhooks.delivery.url", "violation": "must be a valid URL"})


def _messages(body: object) -> list:
    if not isinstance(body, dict):
        raise RequestInvalid([{"property": "body", "violation": "must be a JSON object"}])
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestInvalid([{"property": "messages", "violation": "must not be empty"}])
    return messages


def _each_message(messages: list, violations: list[dict]) -> Iterator[tuple[str, dict]]:
    """Each message object with its path, after the checks every send endpoint shares (an object, a sender)."""
    for i, message in enumerate(messages):
        path = f"messages[{i}]"
        if not isinstance(message, dict):
            violations.append({"property": path, "violation": "must be an object"})
            continue
        if _blank(message.get("sender")):
            violations.append({"property": f"{path}.sender", "violation": "must not be blank"})
        yield path, message


def _destinations(violations: list[dict], path: str, message: dict) -> list:
    destinations = message.get("destinations")
    if not isinstance(destinations, list) or not destinations:
        violations.append({"property": f"{path}.destinations", "violation": "must not be empty"})
        return []
    return destinations


def validate_sms(body: object) -> list:
    """The ``messages`` of a valid ``POST /sms/3/messages`` body; ``RequestInvalid`` otherwise."""
    messages = _messages(body)
    violations: list[dict] = []
    for path, message in _each_message(messages, violations):
        content = message.get("content")
        if not isinstance(content, dict) or _blank(content.get("text")):
            violations.append({"property": f"{path}.content.text", "violation": "must not be blank"})
        for j, destination in enumerate(_destinations(violations, path, message)):
            where = f"{path}.destinations[{j}]"
            to = destination.get("to") if isinstance(destination, dict) else None
            if not _filled(to):
                violations.append({"property": f"{where}.to", "violation": "must not be blank"})
            elif len(to) > SMS_TO_MAX:
                violations.append({"property": f"{where}.to", "violation": "size must be between 0 and 64"})
            else:
                _check_message_id(violations, where, destination.get("messageId"))
        _check_webhooks(violations, path, message.get("webhooks"))
    if violations:
        raise RequestInvalid(violations)
    return messages


def validate_email(body: object) -> list:
    """The ``messages`` of a valid ``POST /email/4/messages`` body; ``RequestInvalid`` otherwise."""
    messages = _messages(body)
    violations: list[dict] = []
    for path, message in _each_message(messages, violations):
        content = message.get("content")
        if not isinstance(content, dict):
            content = {}
        if _blank(content.get("subject")) and not content.get("templateId"):
            violations.append({"property": f"{path}.content.subject", "violation": "must not be blank"})
        if _blank(content.get("text")) and _blank(content.get("html")) and not content.get("templateId"):
            violations.append({"property": f"{path}.content", "violation": "text or html must be given"})
        headers = content.get("headers")
        if headers is not None:
            try:
                if not isinstance(json.loads(headers), dict):
                    raise ValueError
            except (TypeError, ValueError):
                violations.append({"property": f"{path}.content.headers", "violation": "must be a JSON object string"})
        for j, group in enumerate(_destinations(violations, path, message)):
            recipients = group.get("to") if isinstance(group, dict) else None
            if not isinstance(recipients, list) or not recipients:
                violations.append({"property": f"{path}.destinations[{j}].to", "violation": "must not be empty"})
                continue
            for k, recipient in enumerate(recipients):
                where = f"{path}.destinations[{j}].to[{k}]"
                address = recipient.get("destination") if isinstance(recipient, dict) else None
                if not _filled(address) or "@" not in address:
                    violations.append({"property": f"{where}.destination", "violation": "must be an email address"})
                else:
                    _check_message_id(violations, where, recipient.get("messageId"))
        _check_webhooks(violations, path, message.get("webhooks"))
    if violations:
        raise RequestInvalid(violations)
    return messages

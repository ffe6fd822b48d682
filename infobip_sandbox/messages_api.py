"""Infobip's Messages API as the sandbox speaks it: ``POST /messages-api/1/messages`` for Viber and WhatsApp.

The shape enforced is the part of ``MessagesApiRequest`` (Infobip OpenAPI 3.210.0) the portal uses: one channel
per message (``VIBER_BM`` or ``WHATSAPP``; others answer 400 here), a sender, destinations ``{to, messageId}``, and
either a ``TEXT`` body with its ``text`` or, for a template, ``template.templateName`` with the placeholders as
string values of ``content.body``. Reports and logs reuse the SMS records, in the Messages API's report shape.
"""

from __future__ import annotations

from typing import Any

from infobip_sandbox.protocol import (
    RequestInvalid,
    _blank,
    _check_message_id,
    _check_webhooks,
    _destinations,
    _each_message,
    _messages,
)

#: The Messages API's channel codes the sandbox accepts → the portal's channel names.
CHANNELS = {"VIBER_BM": "viber", "WHATSAPP": "whatsapp"}
CODES = {name: code for code, name in CHANNELS.items()}
TO_MAX = 64


def _check_content(violations: list[dict], path: str, message: dict[str, Any]) -> None:
    content = message.get("content")
    body = content.get("body") if isinstance(content, dict) else None
    template = message.get("template")
    if template is not None:
        if not isinstance(template, dict) or _blank(template.get("templateName")):
            violations.append({"property": f"{path}.template.templateName", "violation": "must not be blank"})
        if body is None:
            return
        if not isinstance(body, dict) or body.get("type") != "TEXT":
            violations.append({"property": f"{path}.content.body.type", "violation": "must be TEXT"})
        elif any(not isinstance(value, str) for value in body.values()):
            violations.append({"property": f"{path}.content.body", "violation": "placeholders must be strings"})
        return
    if not isinstance(body, dict) or body.get("type") != "TEXT":
        violations.append({"property": f"{path}.content.body.type", "violation": "must be TEXT"})
    elif _blank(body.get("text")):
        violations.append({"property": f"{path}.content.body.text", "violation": "must not be blank"})


def validate(body: object) -> list:
    """The ``messages`` of a valid ``POST /messages-api/1/messages`` body; ``RequestInvalid`` otherwise."""
    messages = _messages(body)
    violations: list[dict] = []
    for path, message in _each_message(messages, violations):
        if message.get("channel") not in CHANNELS:
            violations.append({"property": f"{path}.channel", "violation": "must be VIBER_BM or WHATSAPP"})
        for j, destination in enumerate(_destinations(violations, path, message)):
            where = f"{path}.destinations[{j}]"
            to = destination.get("to") if isinstance(destination, dict) else None
            if not isinstance(to, str) or _blank(to) or len(to) > TO_MAX:
                violations.append({"property": f"{where}.to", "violation": "must be a phone number"})
            else:
                _check_message_id(violations, where, destination.get("messageId"))
        _check_content(violations, path, message)
        _check_webhooks(violations, path, message.get("webhooks"))
    if violations:
        raise RequestInvalid(violations)
    return messages


def text_of(message: dict[str, Any]) -> str:
    """What the recipient reads: the text, or a template's name and placeholder values (for logs)."""
    body = (message.get("content") or {}).get("body") or {}
    if "template" in message:
        values = [str(value) for key, value in body.items() if key != "type"]
        return " | ".join([message["template"]["templateName"], *values])
    return str(body.get("text") or "")


def report(entry: dict[str, Any], channel: str, sender: str, destination: str, parts: int) -> dict[str, Any]:
    """A Messages API delivery result (``MessagesApiDeliveryResult``) from the common report fields."""
    entry.update(event="DELIVERY", channel=CODES[channel], sender=sender, destination=destination, messageCount=parts)
    return entry

"""The request bodies Infobip's send endpoints take: SMS ``/sms/3/messages``, email ``/email/4/messages``.

Why these shapes (docs/infobip.md): one ``messages[]`` entry per message, since each carries its own rendered
text, one destination each, tagged with our own ``messageId`` so every answer, report and log entry maps back to
our row; the report webhook URL and the campaign reference ride along on each entry. Checked against Infobip's
official client models in tests/provider/test_request_bodies.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from notifications.providers.base import OutboundMessage, SendOptions


def _webhooks(message: OutboundMessage, options: SendOptions) -> dict[str, Any]:
    webhooks: dict[str, Any] = {}
    if options.report_url:
        webhooks["delivery"] = {"url": options.report_url}
        webhooks["contentType"] = "application/json"
    if message.callback_data:
        webhooks["callbackData"] = message.callback_data
    return webhooks


def _with_optional(
    entry: dict[str, Any], message: OutboundMessage, options: SendOptions, *, validity: bool = False
) -> dict[str, Any]:
    webhooks = _webhooks(message, options)
    if webhooks:
        entry["webhooks"] = webhooks
    entry_options: dict[str, Any] = {}
    if validity and options.validity_minutes:
        # The notice's validity left, so the provider does not deliver late either (SMS only: docs/dispatch.md).
        entry_options["validityPeriod"] = {"amount": options.validity_minutes, "timeUnit": "MINUTES"}
    if options.reference:
        entry_options["campaignReferenceId"] = options.reference
    if entry_options:
        entry["options"] = entry_options
    return entry


def sms_request_body(messages: Iterable[OutboundMessage], options: SendOptions, *, sender: str) -> dict[str, Any]:
    """One ``messages[]`` entry per message (each has its own rendered text), one destination each."""
    entries = [
        _with_optional(
            {
                "sender": sender,
                "destinations": [{"to": message.destination.lstrip("+"), "messageId": message.message_id}],
                "content": {"text": message.text},
            },
            message,
            options,
            validity=True,
        )
        for message in messages
    ]
    request_options: dict[str, Any] = {"includeSmsCountInResponse": True}
    if options.bulk_id:
        request_options["schedule"] = {"bulkId": options.bulk_id}
    return {"messages": entries, "options": request_options}


def _email_content(message: OutboundMessage) -> dict[str, Any]:
    content: dict[str, Any] = {"subject": message.subject}
    if message.text:
        content["text"] = message.text
    if message.html:
        content["html"] = message.html
    if message.headers:
        content["headers"] = json.dumps(message.headers, ensure_ascii=False)
    return content


def email_request_body(messages: Iterable[OutboundMessage], options: SendOptions, *, sender: str) -> dict[str, Any]:
    """One message per recipient, each rendered on its own, carrying its custom headers (List-Unsubscribe)."""
    entries = [
        _with_optional(
            {
                "sender": sender,
                "destinations": [{"to": [{"destination": message.destination, "messageId": message.message_id}]}],
                "content": _email_content(message),
            },
            message,
            options,
        )
        for message in messages
    ]
    body: dict[str, Any] = {"messages": entries}
    if options.bulk_id:
        body["options"] = {"schedule": {"bulkId": options.bulk_id}}
    return body

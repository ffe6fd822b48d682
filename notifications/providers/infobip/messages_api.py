"""The request body of Infobip's Messages API, ``POST /messages-api/1/messages``, for Viber and WhatsApp.

Why this shape (Infobip OpenAPI 3.210.0, ``MessagesApiRequest``; the part we use is extracted to
tests/fixtures/infobip_messages_api_schema.json and every body is validated against it in tests): one
``messages[]`` entry per message, one destination each carrying our own ``messageId``, as for SMS. A message is
either free text (``content.body`` of type ``TEXT``; Viber, or WhatsApp inside a conversation the client opened)
or, on WhatsApp outside such a conversation, a template approved at Meta: ``template.templateName`` and
``template.language``, its placeholders as ``content.body`` keys ``"1"``, ``"2"``, …
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from notifications.providers.base import OutboundMessage, SendOptions
from notifications.providers.infobip.bodies import _with_optional

#: Our channel names → the Messages API's ``OutboundMessageChannel``.
CHANNEL_CODES = {"viber": "VIBER_BM", "whatsapp": "WHATSAPP"}


def _content(message: OutboundMessage) -> dict[str, Any]:
    if message.template:
        body: dict[str, Any] = {"type": "TEXT"}
        body.update({str(number): value for number, value in enumerate(message.placeholders, start=1)})
        return {"body": body}
    return {"body": {"type": "TEXT", "text": message.text}}


def messages_api_body(
    messages: Iterable[OutboundMessage], options: SendOptions, *, channel: str, sender: str
) -> dict[str, Any]:
    """One entry per message; a WhatsApp template names its language (the recipient's) as Meta approved it."""
    code = CHANNEL_CODES[channel]
    entries = []
    for message in messages:
        entry: dict[str, Any] = {
            "channel": code,
            "sender": sender,
            "destinations": [{"to": message.destination.lstrip("+"), "messageId": message.message_id}],
        }
        if message.template:
            entry["template"] = {"templateName": message.template, "language": message.language or "en"}
        entry["content"] = _content(message)
        entries.append(_with_optional(entry, message, options))
    body: dict[str, Any] = {"messages": entries}
    if options.bulk_id:
        body["options"] = {"schedule": {"bulkId": options.bulk_id}}
    return body

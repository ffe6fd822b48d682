"""WhatsApp: a template approved at Meta (its name and placeholders) or, inside a conversation, free text.

Outside the 24-hour window a client opens by writing to the business, WhatsApp delivers only approved templates,
so an outage notice is normally a template: ``template`` is its name as approved, ``placeholders`` one value per
line ({{1}}, {{2}}, … in the approved text), each a portal template filled per recipient. Meta refuses newlines and
tabs inside a placeholder value, so they become spaces. With no template name the ``text`` goes as free text.
Sent through Infobip's Messages API (channel ``WHATSAPP``). Infobip documents no WhatsApp log lookup, so an
ambiguous batch is settled by its delivery reports (the pull and the webhook), never by a resend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from notifications.channels.base import ChannelOutput, ChannelSpec, InfobipRoute, Template, blank
from notifications.providers.base import OutboundMessage, SendOptions
from notifications.providers.infobip.messages_api import messages_api_body

_BREAKS = re.compile(r"[\t\r\n]+")
_NAME = re.compile(r"^[a-z0-9_]+$")  # Meta's template names: lower case, digits, underscores


class WhatsApp(ChannelSpec):
    name = "whatsapp"
    # Meta: a template name of at most 512 characters, a template body (with its values) of 1,024, free text 4,096.
    max_lengths = {"template": 512, "placeholders": 1_024, "text": 4_096}
    labels = {"template": "WhatsApp template name", "placeholders": "WhatsApp placeholders", "text": "WhatsApp text"}
    sender_setting = "INFOBIP_WHATSAPP_SENDER"
    route = InfobipRoute("/messages-api/1/messages", "/messages-api/1/reports", "", (("channel", "WHATSAPP"),))

    def missing(self, part: Mapping[str, Any]) -> dict[str, str]:
        name = str(part.get("template") or "").strip()
        if name and not _NAME.match(name):
            return {"template": "A WhatsApp template name has lower-case letters, digits and underscores only."}
        if not name and blank(part, "text"):
            return {"template": "Give the approved WhatsApp template's name (or a text for open conversations)."}
        return {}

    def render(self, template: Template, context: dict[str, object], *, stop_line: str) -> ChannelOutput:
        name = template("template").render(context).strip()
        if not name:
            return ChannelOutput(text=template("text").render(context))
        lines = template("placeholders").render(context).split("\n")
        values = [_BREAKS.sub(" ", line).strip() for line in lines if line.strip()]
        return ChannelOutput(subject=name, text="\n".join(values))

    def outbound(
        self, *, message_id: str, destination: str, language: str, output: ChannelOutput, headers: dict[str, str]
    ) -> OutboundMessage:
        """A template's name travels in ``subject`` on the row and as ``template`` to the provider."""
        return OutboundMessage(
            message_id=message_id,
            channel=self.name,
            destination=destination,
            text=output.text,
            language=language,
            template=output.subject,
            placeholders=tuple(output.text.split("\n")) if output.subject and output.text else (),
        )

    def request_body(self, messages: Iterable[OutboundMessage], options: SendOptions, *, sender: str) -> dict[str, Any]:
        return messages_api_body(messages, options, channel=self.name, sender=sender)

"""Viber business messages: one text (Viber allows 1,000 characters), to the client's mobile number, by opt-in.

Sent through Infobip's Messages API (channel ``VIBER_BM``); Infobip's Viber logs answer the lookups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from notifications.channels.base import ChannelOutput, ChannelSpec, InfobipRoute, Template, blank
from notifications.providers.base import OutboundMessage, SendOptions
from notifications.providers.infobip.messages_api import messages_api_body


class Viber(ChannelSpec):
    name = "viber"
    max_lengths = {"text": 1_000}
    labels = {"text": "Viber text"}
    sender_setting = "INFOBIP_VIBER_SENDER"
    route = InfobipRoute(
        "/messages-api/1/messages", "/messages-api/1/reports", "/viber/2/logs", (("channel", "VIBER_BM"),)
    )

    def missing(self, part: Mapping[str, Any]) -> dict[str, str]:
        return {"text": "The Viber text is empty."} if blank(part, "text") else {}

    def render(self, template: Template, context: dict[str, object], *, stop_line: str) -> ChannelOutput:
        return ChannelOutput(text=template("text").render(context))

    def request_body(self, messages: Iterable[OutboundMessage], options: SendOptions, *, sender: str) -> dict[str, Any]:
        return messages_api_body(messages, options, channel=self.name, sender=sender)

"""SMS: one text, counted in parts (GSM-7 / UCS-2), with the optional "Reply STOP" line; Infobip ``/sms/3``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from notifications.channels.base import ChannelOutput, ChannelSpec, InfobipRoute, Template, blank
from notifications.providers.base import OutboundMessage, SendOptions
from notifications.providers.infobip.bodies import sms_request_body
from notifications.rendering import sms_count


class Sms(ChannelSpec):
    name = "sms"
    # 1,600 GSM-7 characters is 11 parts (operators join at most about 10-15).
    max_lengths = {"text": 1_600}
    labels = {"text": "SMS text"}
    sender_setting = "INFOBIP_SMS_SENDER"
    takes_stop_line = True
    route = InfobipRoute("/sms/3/messages", "/sms/3/reports", "/sms/3/logs")

    def missing(self, part: Mapping[str, Any]) -> dict[str, str]:
        return {"text": "The SMS text is empty."} if blank(part, "text") else {}

    def render(self, template: Template, context: dict[str, object], *, stop_line: str) -> ChannelOutput:
        text = template("text").render(context) + stop_line
        count = sms_count(text)
        return ChannelOutput(text=text, parts=count.parts, encoding=count.encoding)

    def request_body(self, messages: Iterable[OutboundMessage], options: SendOptions, *, sender: str) -> dict[str, Any]:
        return sms_request_body(messages, options, sender=sender)

"""Email: subject, plain text and HTML (client data escaped in the HTML), List-Unsubscribe; Infobip ``/email/4``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from notifications.channels.base import ChannelOutput, ChannelSpec, InfobipRoute, Template, blank
from notifications.providers.base import OutboundMessage, SendOptions
from notifications.providers.infobip.bodies import email_request_body


class Email(ChannelSpec):
    name = "email"
    # A subject longer than a line is cut by every mail client; the HTML allows a designed email with inline styles.
    max_lengths = {"subject": 300, "text": 20_000, "html": 100_000}
    labels = {"subject": "email subject", "text": "email text", "html": "email HTML"}
    sender_setting = "INFOBIP_EMAIL_SENDER"
    list_unsubscribe = True
    route = InfobipRoute("/email/4/messages", "/email/4/reports", "/email/4/logs")

    def missing(self, part: Mapping[str, Any]) -> dict[str, str]:
        return {"subject": "The email subject is empty."} if blank(part, "subject") else {}

    def render(self, template: Template, context: dict[str, object], *, stop_line: str) -> ChannelOutput:
        return ChannelOutput(
            subject=template("subject").render(context).replace("\n", " ").strip(),
            text=template("text").render(context),
            html=template("html").render(context, escape_html=True),
        )

    def request_body(self, messages: Iterable[OutboundMessage], options: SendOptions, *, sender: str) -> dict[str, Any]:
        return email_request_body(messages, options, sender=sender)

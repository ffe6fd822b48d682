"""What the two push channels share: a title and a text, and the notification a device shows.

Why one shape: a browser's service worker (static/push/sw.js) and the company's app show the same notification —
a title, a text, a link to open and a ``tag``. The tag is our message id, so a copy of a message (a resend after an
unknown outcome, docs/channels.md) replaces the one shown instead of showing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from django.conf import settings

from notifications.channels.base import ChannelOutput, ChannelSpec, InfobipRoute, Template, blank
from notifications.providers.base import OutboundMessage, SendOptions


def notification(message: OutboundMessage) -> dict[str, str]:
    """The notification one message shows: every value a string (FCM's ``data`` takes strings only)."""
    return {
        "title": message.subject,
        "body": message.text,
        "tag": message.message_id,
        "url": settings.PORTAL_BASE_URL + "/",
    }


class PushChannel(ChannelSpec):
    """A push channel: not Infobip's; its provider (``provider_path``) sends one request per device."""

    max_lengths: ClassVar[dict[str, int]] = {"title": 120, "text": 600}
    route = InfobipRoute("", "")  # no Infobip endpoint: the provider is ``provider_path``
    max_batch = 100  # devices are requested one by one; a batch is what a claim's lease comfortably covers

    def missing(self, part: Mapping[str, Any]) -> dict[str, str]:
        errors = {}
        if blank(part, "title"):
            errors["title"] = f"The {self.labels['title']} is empty."
        if blank(part, "text"):
            errors["text"] = f"The {self.labels['text']} is empty."
        return errors

    def render(self, template: Template, context: dict[str, object], *, stop_line: str) -> ChannelOutput:
        return ChannelOutput(subject=template("title").render(context).strip(), text=template("text").render(context))

    def request_body(self, messages: Iterable[OutboundMessage], options: SendOptions, *, sender: str) -> dict[str, Any]:
        """The notifications of a batch, by message id (each goes to every device of its client)."""
        return {message.message_id: notification(message) for message in messages}

"""What a channel is to the engine: its content shape, how it renders, how it goes out at the provider.

Why a class per channel: the engine (materialize, claim, prepare, deliver, record, reports, counts) is the same
for every channel; what differs is the content a person writes, what one recipient's render produces and the body
of the provider request. Those three live in one module per channel (``notifications/channels/<name>.py``); the
client side of a channel (address, consent) is ``clients.channels``. docs/channels.md says how to add one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings

from clients.channels import reach_of
from notifications.providers.base import OutboundMessage, SendOptions
from notifications.rendering import CompiledTemplate

Template = Callable[[str], CompiledTemplate]  # a field's compiled template for the recipient's language


@dataclass(frozen=True)
class ChannelOutput:
    """One recipient's rendered message, stored on its row: subject, body text, HTML, parts billed."""

    subject: str = ""
    text: str = ""
    html: str = ""
    parts: int = 1
    encoding: str = ""


@dataclass(frozen=True)
class InfobipRoute:
    """The channel's Infobip endpoints; ``log_path`` "" when Infobip documents no log lookup for it."""

    send_path: str
    report_path: str
    log_path: str = ""
    report_params: tuple[tuple[str, str], ...] = ()


class ChannelSpec:
    """One channel; subclasses fill in the class attributes and the three methods."""

    name: ClassVar[str]
    #: Content fields a person writes, in form order, with their longest length before placeholders are filled.
    max_lengths: ClassVar[dict[str, int]]
    #: How errors name a field ("SMS text").
    labels: ClassVar[dict[str, str]]
    #: The settings name of the channel's sender; empty when the channel is always configured.
    sender_setting: ClassVar[str] = ""
    #: Emails carry a one-click List-Unsubscribe header (RFC 8058).
    list_unsubscribe: ClassVar[bool] = False
    #: The send's "Reply STOP to opt out" line is appended (SMS).
    takes_stop_line: ClassVar[bool] = False
    max_batch: ClassVar[int] = 1000
    route: ClassVar[InfobipRoute]
    #: Dotted path of the provider class when it is not ``settings.NOTIFICATIONS_PROVIDER`` (push: its own service).
    provider_path: ClassVar[str] = ""

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(self.max_lengths)

    def sender(self) -> str:
        return str(getattr(settings, self.sender_setting, "") or "") if self.sender_setting else ""

    def configured(self) -> bool:
        """Whether notices may use it: SMS and email always, the others once their sender is set."""
        return reach_of(self.name).offered()

    def missing(self, part: Mapping[str, Any]) -> dict[str, str]:
        """Errors for required fields left empty, by field name."""
        raise NotImplementedError

    def render(self, template: Template, context: dict[str, object], *, stop_line: str) -> ChannelOutput:
        """One recipient's message from the compiled fields; ``stop_line`` is the send's opt-out line, or ""."""
        raise NotImplementedError

    def outbound(
        self, *, message_id: str, destination: str, language: str, output: ChannelOutput, headers: dict[str, str]
    ) -> OutboundMessage:
        return OutboundMessage(
            message_id=message_id,
            channel=self.name,
            destination=destination,
            text=output.text,
            subject=output.subject,
            html=output.html,
            headers=headers,
            language=language,
        )

    def request_body(self, messages: Iterable[OutboundMessage], options: SendOptions, *, sender: str) -> dict[str, Any]:
        """The body of one send request to the provider."""
        raise NotImplementedError


def blank(part: Mapping[str, Any], name: str) -> bool:
    return not str(part.get(name) or "").strip()

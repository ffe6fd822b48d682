"""The channel registry: every channel the engine can send on, one module each (docs/channels.md).

``channel_spec(name)`` is the only way the engine asks a channel something; ``configured_channels()`` lists the
ones a notice may use now (SMS and email always; Viber and WhatsApp once their Infobip sender is set, push once
its keys are).
"""

from __future__ import annotations

from notifications.channels.apppush import AppPush
from notifications.channels.base import ChannelOutput, ChannelSpec, InfobipRoute
from notifications.channels.email import Email
from notifications.channels.sms import Sms
from notifications.channels.viber import Viber
from notifications.channels.webpush import WebPush
from notifications.channels.whatsapp import WhatsApp

__all__ = ["CHANNELS", "ChannelOutput", "ChannelSpec", "InfobipRoute", "channel_spec", "configured_channels"]

CHANNELS: dict[str, ChannelSpec] = {
    spec.name: spec for spec in (Sms(), Email(), Viber(), WhatsApp(), WebPush(), AppPush())
}


def channel_spec(name: str) -> ChannelSpec:
    """The channel called ``name``; ``KeyError`` for an unknown one."""
    return CHANNELS[name]


def configured_channels() -> list[str]:
    return [name for name, spec in CHANNELS.items() if spec.configured()]

"""Where each channel reaches a client: its address field, the mark that makes it unreachable, its consent field.

Why a table: the audience selectors (skip reasons, counts), materialize (the address a row is sent to) and the
consent pages all ask the same three questions of every channel; a new channel is one row here (plus its module in
``notifications/channels/``), not a new ``if channel == …`` in each of them. The imports run one way
(``notifications`` → ``clients``), so this part of a channel lives with the client.

``Client.preferred_channel`` is the channel a notice's failover chain tries first for that client (the notice's
order follows; empty: the notice's order), as ``notifications.services.chain.client_order`` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Case, CharField, Exists, F, OuterRef, Q, Value, When
from django.db.models.functions import Cast

from clients.models import Channel, DeviceToken, PushSubscription


@dataclass(frozen=True)
class ClientReach:
    """One channel as the client model sees it."""

    channel: str
    address_field: str  # the Client (and TestRecipient) field the message goes to
    missing_reason: str  # the skip reason when that field is empty
    consent_field: str  # False: the client opted out (or never opted in) on this channel
    unreachable_field: str = ""  # a date set from delivery reports; "" when the channel has no such mark
    unreachable_reason: str = ""
    #: The setting that must be non-empty for the channel to be offered (its sender); "" = always offered.
    enabled_by: str = ""
    #: Push: the rows (browser subscriptions, app devices) that reach the client; ``address_field`` is then "".
    #: The message's address is the client's id while one of them is live, and the provider sends to each.
    devices: type[models.Model] | None = None

    def offered(self) -> bool:
        """Whether notices may use the channel and customers may choose it (docs/channels.md)."""
        return not self.enabled_by or bool(getattr(settings, self.enabled_by, ""))

    def _live(self) -> Exists:
        assert self.devices is not None
        return Exists(self.devices._default_manager.filter(client=OuterRef("pk"), gone_at__isnull=True))

    def address(self) -> Any:
        """The address a client query annotates: the field, or for push the client's id while a device is live."""
        if self.devices is None:
            return F(self.address_field)
        return Case(When(self._live(), then=Cast("pk", CharField())), default=Value(""), output_field=CharField())

    def missing(self) -> Q:
        """The clients this channel has no address for."""
        return ~Q(self._live()) if self.devices is not None else Q(**{self.address_field: ""})

    def address_of(self, client: Any) -> str:
        if self.devices is None:
            return str(getattr(client, self.address_field) or "")
        live = self.devices._default_manager.filter(client=client, gone_at__isnull=True).exists()
        return str(client.pk) if live else ""


REACH: dict[str, ClientReach] = {
    Channel.SMS: ClientReach(Channel.SMS, "phone", "no_phone", "sms_consent", "phone_unreachable_at", "unreachable"),
    Channel.EMAIL: ClientReach(Channel.EMAIL, "email", "no_email", "email_consent", "email_bounced_at", "bounced"),
    # Viber and WhatsApp accounts are the client's mobile number; both need the client's own opt-in (Meta's and
    # Rakuten Viber's business rules), so their consent defaults to False.
    Channel.VIBER: ClientReach(Channel.VIBER, "phone", "no_phone", "viber_consent", enabled_by="INFOBIP_VIBER_SENDER"),
    Channel.WHATSAPP: ClientReach(
        Channel.WHATSAPP, "phone", "no_phone", "whatsapp_consent", enabled_by="INFOBIP_WHATSAPP_SENDER"
    ),
    # Push reaches the client's live browser subscriptions / app devices (clients/push_models.py), all of them.
    Channel.WEBPUSH: ClientReach(
        Channel.WEBPUSH, "", "no_browser", "webpush_consent", enabled_by="VAPID_PRIVATE_KEY", devices=PushSubscription
    ),
    Channel.APPPUSH: ClientReach(
        Channel.APPPUSH, "", "no_device", "apppush_consent", enabled_by="FCM_PROJECT_ID", devices=DeviceToken
    ),
}


def offered_channels() -> list[str]:
    return [channel for channel, reach in REACH.items() if reach.offered()]


def reach_of(channel: str) -> ClientReach:
    """The reach of a known channel; ``KeyError`` for an unknown one."""
    return REACH[channel]

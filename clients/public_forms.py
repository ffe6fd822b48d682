"""The preference page's form, and the masking and phone reading the customer pages share (sign-up included)."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django import forms
from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clients.channels import REACH
from clients.models import Channel, Client, NoticeKind


def mask_email(address: str) -> str:
    """Enough of an address for its owner to recognise it, not enough to harvest it from a forwarded link."""
    local, _sep, domain = address.partition("@")
    return f"{local[:1]}•••@{domain}" if domain else ""


def mask_phone(number: str) -> str:
    return f"•••{number[-2:]}" if len(number) > 4 else ""


def phone_to_e164(raw: str) -> str | None:
    """A mobile number in E.164, or None when it cannot be one (no country code: PHONE_DEFAULT_REGION)."""
    try:
        parsed = phonenumbers.parse(raw, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class PreferencesForm(forms.Form):
    """Channels (only those the client has an address for), language and the kinds of notice wanted."""

    email = forms.BooleanField(label=_("Email"), required=False)
    sms = forms.BooleanField(label=_("SMS"), required=False)
    viber = forms.BooleanField(label=_("Viber"), required=False)
    whatsapp = forms.BooleanField(label=_("WhatsApp"), required=False)
    webpush = forms.BooleanField(label=_("Browser notifications"), required=False)
    apppush = forms.BooleanField(label=_("App notifications"), required=False)
    language = forms.ChoiceField(label=_("Language of notices"))
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of notice"), choices=NoticeKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    # The channel a notice with a failover chain tries first (docs/channels.md, "Failover"); offered from two channels.
    preferred_channel = forms.ChoiceField(
        label=_("When a notice can come by several channels, try first"), required=False
    )

    def __init__(self, *args: Any, client: Client, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                **{channel: client.has_consent(channel) for channel in Channel.values},
                "language": client.language,
                "kinds": [kind for kind in NoticeKind.values if kind not in (client.muted_kinds or [])],
                "preferred_channel": client.preferred_channel,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = list(settings.LANGUAGES)  # type: ignore[attr-defined]
        # A channel appears when the portal offers it and holds the client's address for it (clients.channels).
        for channel, reach in REACH.items():
            address = reach.address_of(client)
            if not reach.offered() or not address:
                del self.fields[channel]
                continue
            self.fields[channel].widget.attrs["class"] = "form-check-input"
            self.fields[channel].help_text = _address_hint(channel, address)
        self.fields["kinds"].widget.attrs["class"] = "form-check-input"
        offered = [(value, label) for value, label in Channel.choices if value in self.fields]
        if len(offered) < 2:
            del self.fields["preferred_channel"]
        else:
            preferred = self.fields["preferred_channel"]
            assert isinstance(preferred, forms.ChoiceField)
            preferred.choices = [("", _("No preference")), *offered]

    def channel_fields(self) -> list[forms.BoundField]:
        order = [Channel.EMAIL, *(channel for channel in Channel.values if channel != Channel.EMAIL)]
        return [self[channel] for channel in order if channel in self.fields]

    def channel_choices(self) -> dict[str, bool]:
        return {channel: self.cleaned_data[channel] for channel in Channel.values if channel in self.fields}

    def muted_kinds(self) -> list[str]:
        return [kind for kind in NoticeKind.values if kind not in self.cleaned_data["kinds"]]


def _address_hint(channel: str, address: str) -> str:
    if channel == Channel.EMAIL:
        return mask_email(address)
    if channel == Channel.WEBPUSH:
        return str(_("on the browsers you enabled"))
    if channel == Channel.APPPUSH:
        return str(_("on the devices where you use our app"))
    return mask_phone(address)


def browser_push(token: str) -> dict[str, str]:
    """What the preference page's "Enable browser notifications" needs; empty when web push is not offered."""
    if not REACH[Channel.WEBPUSH].offered() or not settings.VAPID_PUBLIC_KEY:
        return {}
    page = reverse("clients:preferences", args=[token])
    return {
        "key": str(settings.VAPID_PUBLIC_KEY),
        "url": reverse("clients:push_subscribe", args=[token]),
        "worker": reverse("clients:push_worker"),
        "done": f"{page}?saved=browser",
    }

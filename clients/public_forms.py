"""Forms of the customer-facing pages: preferences, sign-up and the SMS code."""

from __future__ import annotations

import phonenumbers
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

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
    language = forms.ChoiceField(label=_("Language of notices"))
    kinds = forms.MultipleChoiceField(
        label=_("Kinds of notice"), choices=NoticeKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, client: Client, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "email": client.email_consent,
                "sms": client.sms_consent,
                "language": client.language,
                "kinds": [kind for kind in NoticeKind.values if kind not in (client.muted_kinds or [])],
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = list(settings.LANGUAGES)
        for name in ("email", "sms", "kinds"):
            self.fields[name].widget.attrs["class"] = "form-check-input"
        if client.email:
            self.fields["email"].help_text = mask_email(client.email)
        else:
            del self.fields["email"]
        if client.phone:
            self.fields["sms"].help_text = mask_phone(client.phone)
        else:
            del self.fields["sms"]

    def channel_choices(self) -> dict[str, bool]:
        return {channel: self.cleaned_data[channel] for channel in Channel.values if channel in self.fields}

    def muted_kinds(self) -> list[str]:
        return [kind for kind in NoticeKind.values if kind not in self.cleaned_data["kinds"]]


class SignupForm(forms.Form):
    account_ref = forms.CharField(
        label=_("Account reference"), max_length=200, help_text=_("As printed on your invoice or contract.")
    )
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        required=False,
        help_text=_("With the country code, for example +33 6 12 34 56 78."),
    )
    language = forms.ChoiceField(label=_("Language of notices"))
    uses_sms_service = forms.BooleanField(label=_("I use your SMS service"), required=False)
    uses_email_service = forms.BooleanField(label=_("I use your email service"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = list(settings.LANGUAGES)
        for name, field in self.fields.items():
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-control form-control-lg"
            field.widget.attrs["class"] = "form-select form-select-lg" if name == "language" else css
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})

    def clean_account_ref(self) -> str:
        return self.cleaned_data["account_ref"].strip()

    def clean_phone(self) -> str:
        raw = self.cleaned_data["phone"].strip()
        if not raw:
            return ""
        number = phone_to_e164(raw)
        if number is None:
            raise forms.ValidationError(_("Enter a valid mobile number."), code="invalid_phone")
        return number

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Give an email address, a mobile number or both."), code="no_contact")
        return data


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code received by SMS"),
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("The code has six digits.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "class": "form-control form-control-lg code-input",
            }
        )

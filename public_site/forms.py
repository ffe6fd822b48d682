"""The sign-up page's forms: who the visitor is and where to reach them, then the code received by SMS."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from clients.public_forms import phone_to_e164


class SignupForm(forms.Form):
    account_ref = forms.CharField(
        label=_("Account reference"), max_length=200, help_text=_("As printed on your invoice or contract.")
    )
    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        required=False,
        help_text=_("With the country code, for example +33 6 12 34 56 78."),
    )
    language = forms.ChoiceField(label=_("Language of notices"))
    uses_sms_service = forms.BooleanField(label=_("I use your SMS service"), required=False)
    uses_email_service = forms.BooleanField(label=_("I use your email service"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = list(settings.LANGUAGES)  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-control form-control-lg"
            field.widget.attrs["class"] = "form-select form-select-lg" if name == "language" else css
        self.fields["phone"].widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})

    def clean_account_ref(self) -> str:
        return str(self.cleaned_data["account_ref"]).strip()

    def clean_phone(self) -> str:
        raw = str(self.cleaned_data["phone"]).strip()
        if not raw:
            return ""
        number = phone_to_e164(raw)
        if number is None:
            raise forms.ValidationError(_("Enter a valid mobile number."), code="invalid_phone")
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Give an email address, a mobile number or both."), code="no_contact")
        return data


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code received by SMS"),
        regex=r"^\s*[0-9]{6}\s*$",
        max_length=12,
        error_messages={"invalid": _("The code has six digits.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "class": "form-control form-control-lg code-input",
            }
        )

"""Staff forms for clients: the admin's client, segment and test recipient forms, bucket choice and CSV upload.

Every value goes through the same checks as the CSV import (``clients.services``), so a number typed in admin
and a number imported end up in the same E.164 form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from clients.models import Bucket, Channel, Client, NoticeKind, ServiceName, TestRecipient
from clients.services import ClientValueError, email_normalize, phone_normalize, time_zone_normalize


def _checked(normalize: Callable[[str], str], value: str) -> str:
    try:
        return normalize(value)
    except ClientValueError as error:
        raise forms.ValidationError(str(error).capitalize() + ".") from None


class ContactFieldsMixin:
    """Phone to E.164, email trimmed, language from settings.LANGUAGES."""

    cleaned_data: dict[str, Any]

    def clean_phone(self) -> str:
        return _checked(phone_normalize, self.cleaned_data.get("phone", ""))

    def clean_email(self) -> str:
        return _checked(email_normalize, self.cleaned_data.get("email", ""))

    def clean_time_zone(self) -> str:
        return _checked(time_zone_normalize, self.cleaned_data.get("time_zone", ""))


def _language_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class ClientAdminForm(ContactFieldsMixin, forms.ModelForm):
    muted_kinds = forms.MultipleChoiceField(
        label=_("Muted notice kinds"),
        choices=NoticeKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Mandatory notices reach the client anyway."),
    )
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"),
        choices=[("", _("The notice's order")), *Channel.choices],
        required=False,
        help_text=_("Tried first when a notice has a failover chain (docs/channels.md)."),
    )
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Separated by |, e.g. vip|pilot."))

    class Meta:
        model = Client
        fields = (
            "external_ref",
            "name",
            "account",
            "email",
            "phone",
            "language",
            "time_zone",
            "uses_sms_service",
            "uses_email_service",
            "is_active",
            "email_consent",
            "sms_consent",
            "viber_consent",
            "whatsapp_consent",
            "webpush_consent",
            "apppush_consent",
            "muted_kinds",
            "preferred_channel",
            "region",
            "network",
            "plan",
            "tags",
            "attributes",
        )
        widgets = {"attributes": forms.Textarea(attrs={"rows": 4, "cols": 60})}
        help_texts = {
            "email_consent": _("Changes are recorded in the consent history (source: admin)."),
            "sms_consent": _("Changes are recorded in the consent history (source: admin)."),
            "viber_consent": _("Opt-in: only with the client's agreement; recorded in the consent history."),
            "whatsapp_consent": _("Opt-in: only with the client's agreement; recorded in the consent history."),
            "webpush_consent": _("Opt-in: given when the client enables a browser; recorded in the consent history."),
            "apppush_consent": _("Opt-in: given when the client's app registers; recorded in the consent history."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "language" in self.fields:
            self.fields["language"] = _language_field()
        if self.instance and self.instance.pk:
            self.initial["tags"] = "|".join(self.instance.tags or [])

    def clean_tags(self) -> list[str]:
        tags: list[str] = []
        for tag in (self.cleaned_data.get("tags") or "").split("|"):
            if tag.strip() and tag.strip() not in tags:
                tags.append(tag.strip())
        return tags

    def clean_attributes(self) -> dict[str, Any]:
        attributes = self.cleaned_data.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise forms.ValidationError(_('Attributes must be a JSON object, e.g. {"monthly_spend": 120}.'))
        return attributes


class TestRecipientAdminForm(ContactFieldsMixin, forms.ModelForm):
    class Meta:
        model = TestRecipient
        fields = ("name", "email", "phone", "language", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "language" in self.fields:
            self.fields["language"] = _language_field()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Give an email address, a mobile number, or both."))
        return data


class BucketChoiceForm(forms.Form):
    """The intermediate step of the "add to / remove from a bucket" actions."""

    bucket = forms.ModelChoiceField(label=_("Bucket"), queryset=Bucket.objects.all())


def _size(count: int) -> str:
    return f"{count / 1_000_000:.1f} MB" if count >= 1_000_000 else f"{count / 1000:.1f} kB"


def file_too_large_message(size: int, limit: int) -> str:
    """What an admin reads when a file is over CLIENT_IMPORT_MAX_BYTES."""
    return str(
        _(
            "The file is too large: %(size)s; the limit is %(limit)s (CLIENT_IMPORT_MAX_BYTES). Please split it "
            "into smaller files and import them one after another."
        )
        % {"size": _size(size), "limit": _size(limit)}
    )


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8 (with or without BOM), comma or semicolon separated.")
    )
    sync = forms.BooleanField(
        label=_("Sync: deactivate clients missing from this file"),
        required=False,
        help_text=_("The preview says how many; you confirm before anything is written."),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = int(getattr(settings, "CLIENT_IMPORT_MAX_BYTES", 10 * 1024 * 1024))
        if (upload.size or 0) > limit:
            raise forms.ValidationError(file_too_large_message(upload.size or 0, limit), code="too_large")
        return upload


def translated_languages() -> list[tuple[str, str]]:
    """The configured languages a text is translated into (English is the text itself)."""
    return [(code, name) for code, name in settings.LANGUAGES if code != "en"]


class ServiceNameAdminForm(forms.ModelForm):
    """A service's name with one field per configured language (PORTAL_LANGUAGES), not a JSON box; the fields are
    declared by ``service_name_form`` for the languages configured now."""

    class Meta:
        model = ServiceName
        fields = ("name",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.translations if isinstance(self.instance.translations, dict) else {}
        for code, _name in translated_languages():
            if f"name_{code}" in self.fields:
                self.fields[f"name_{code}"].initial = stored.get(code, "")

    def save(self, commit: bool = True) -> ServiceName:
        translations = dict(self.instance.translations or {})
        for code, _name in translated_languages():
            text = (self.cleaned_data.get(f"name_{code}") or "").strip()
            if text:
                translations[code] = text
            else:
                translations.pop(code, None)
        self.instance.translations = translations
        return super().save(commit=commit)


def service_name_form() -> type[ServiceNameAdminForm]:
    """The form with a field for each language configured now."""
    fields = {
        f"name_{code}": forms.CharField(label=name, required=False, max_length=100)
        for code, name in translated_languages()
    }
    return type("ServiceNameLanguagesForm", (ServiceNameAdminForm,), fields)

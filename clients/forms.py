"""Staff forms for clients: the admin's client, segment and test recipient forms, bucket choice and CSV upload.

Every value goes through the same checks as the CSV import (``clients.services``), so a number typed in admin
and a number imported end up in the same E.164 form.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from clients.audience_values import json_storable
from clients.models import Bucket, Client, NoticeKind, Segment, TestRecipient
from clients.selectors import AudienceError, audience_validate
from clients.services import ClientValueError, email_normalize, phone_normalize


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


def _language_field() -> forms.ChoiceField:
    return forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)


class ClientAdminForm(ContactFieldsMixin, forms.ModelForm):
    muted_kinds = forms.MultipleChoiceField(
        label=_("muted notice kinds"),
        choices=NoticeKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Mandatory notices reach the client anyway."),
    )
    tags = forms.CharField(label=_("tags"), required=False, help_text=_("Separated by |, e.g. vip|pilot."))

    class Meta:
        model = Client
        fields = (
            "external_ref",
            "name",
            "account",
            "email",
            "phone",
            "language",
            "uses_sms_service",
            "uses_email_service",
            "is_active",
            "email_consent",
            "sms_consent",
            "muted_kinds",
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


class PrettyJSONField(forms.JSONField):
    """JSON shown indented, read with bounds: at most ``MAX_JSON_CHARS`` characters, no nesting deep enough to
    exhaust the parser (a form error, not a server error)."""

    MAX_JSON_CHARS = 50_000

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) > self.MAX_JSON_CHARS:
            raise forms.ValidationError(
                _("At most %(n)s characters of JSON.") % {"n": f"{self.MAX_JSON_CHARS:,}"}, code="too_long"
            )
        try:
            return super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(_("The JSON is nested too deeply."), code="too_deep") from None

    def bound_data(self, data: Any, initial: Any) -> Any:
        if isinstance(data, str) and len(data) > self.MAX_JSON_CHARS:
            return forms.fields.InvalidJSONInput(data[: self.MAX_JSON_CHARS])
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return forms.fields.InvalidJSONInput(data)


class SegmentAdminForm(forms.ModelForm):
    definition = PrettyJSONField(
        label=_("definition"),
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80, "class": "vLargeTextField"}),
        help_text=_(
            'The audience language, e.g. {"builtin": ["sms_clients"], "buckets": [3], "match": "all", '
            '"conditions": [{"field": "attributes.monthly_spend", "op": "gt", "value": 100}]}. '
            "See docs/clients.md."
        ),
    )

    class Meta:
        model = Segment
        fields = ("name", "description", "definition")

    def clean_definition(self) -> dict[str, Any]:
        definition = self.cleaned_data.get("definition")
        if self.instance.pk and isinstance(definition, dict) and definition.get("segment") is not None:
            if str(definition["segment"]) == str(self.instance.pk):
                raise forms.ValidationError(_("A segment cannot include itself."))
        if not json_storable(definition):
            raise forms.ValidationError(
                _("The definition holds a character that cannot be stored (NUL, lone surrogate).")
            )
        try:
            audience_validate(definition)
        except AudienceError as error:
            raise forms.ValidationError(str(error)) from None
        assert isinstance(definition, dict)  # audience_validate refuses anything else
        return definition


class BucketChoiceForm(forms.Form):
    """The intermediate step of the "add to / remove from a bucket" actions."""

    bucket = forms.ModelChoiceField(label=_("bucket"), queryset=Bucket.objects.all())


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

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = int(getattr(settings, "CLIENT_IMPORT_MAX_BYTES", 10 * 1024 * 1024))
        if (upload.size or 0) > limit:
            raise forms.ValidationError(file_too_large_message(upload.size or 0, limit), code="too_large")
        return upload

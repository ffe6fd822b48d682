"""Staff forms for clients: the admin's client, segment and test recipient forms, bucket choice and CSV upload.

Every value goes through the same checks as the CSV import (``clients.services``), so a number typed in admin
and a number imported end up in the same E.164 form.
"""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from clients.models import Bucket, Client, NoticeKind, Segment, TestRecipient
from clients.selectors import AudienceError, audience_validate
from clients.services import ClientValueError, email_normalize, phone_normalize


def _checked(normalize, value: str) -> str:
    try:
        return normalize(value)
    except ClientValueError as error:
        raise forms.ValidationError(str(error).capitalize() + ".") from None


class ContactFieldsMixin:
    """Phone to E.164, email trimmed, language from settings.LANGUAGES."""

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

    def __init__(self, *args, **kwargs) -> None:
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

    def clean_attributes(self) -> dict:
        attributes = self.cleaned_data.get("attributes") or {}
        if not isinstance(attributes, dict):
            raise forms.ValidationError(_('Attributes must be a JSON object, e.g. {"monthly_spend": 120}.'))
        return attributes


class TestRecipientAdminForm(ContactFieldsMixin, forms.ModelForm):
    class Meta:
        model = TestRecipient
        fields = ("name", "email", "phone", "language", "is_active")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "language" in self.fields:
            self.fields["language"] = _language_field()

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("email") and not data.get("phone"):
            raise forms.ValidationError(_("Give an email address, a mobile number, or both."))
        return data


class PrettyJSONField(forms.JSONField):
    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


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

    def clean_definition(self) -> dict:
        definition = self.cleaned_data.get("definition")
        if self.instance.pk and isinstance(definition, dict) and definition.get("segment") is not None:
            if str(definition["segment"]) == str(self.instance.pk):
                raise forms.ValidationError(_("A segment cannot include itself."))
        try:
            audience_validate(definition)
        except AudienceError as error:
            raise forms.ValidationError(str(error)) from None
        return definition


class BucketChoiceForm(forms.Form):
    """The intermediate step of the "add to / remove from a bucket" actions."""

    bucket = forms.ModelChoiceField(label=_("bucket"), queryset=Bucket.objects.all())


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("UTF-8 (with or without BOM), comma or semicolon separated.")
    )

"""Step 3, Message: one version per language and channel, the shared variable values, and "save as template"."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from campaigns.forms.fields import MessageTextField, plain_newlines
from campaigns.forms.public_text import (
    add_public_fields,
    clean_public,
    public_field_name,
    public_initial,
    raw_public_text,
)
from campaigns.forms.question import QuestionFields
from campaigns.models import Campaign, MessageTemplate
from notifications.channels import channel_spec
from notifications.content import field_max_length, template_check
from notifications.rendering import TemplateError

CHANNEL_FIELDS = {
    "sms": (("text", _("SMS text")),),
    "email": (("subject", _("Email subject")), ("text", _("Email plain text")), ("html", _("Email HTML"))),
    "viber": (("text", _("Viber text")),),
    "whatsapp": (
        ("template", _("WhatsApp template name (approved at Meta)")),
        ("placeholders", _("Template placeholders, one per line: {{1}}, {{2}}, …")),
        ("text", _("Free text (only inside a conversation the client opened)")),
    ),
    "webpush": (("title", _("Browser notification title")), ("text", _("Browser notification text"))),
    "apppush": (("title", _("App notification title")), ("text", _("App notification text"))),
}
EDITABLE_VARIABLES = {
    "service": _("Affected service ({{ service }})"),
    "expected_resolution": _("Expected resolution ({{ expected_resolution }})"),
    "status_page": _("Status page address ({{ status_page }})"),
}


def field_name(language: str, channel: str, part: str) -> str:
    return f"{language}_{channel}_{part}"


def message_languages(campaign: Campaign, audience_languages: set[str]) -> list[str]:
    """The portal's languages, those the audience or the draft use first; every one may hold a version."""
    known = [code for code, _name in settings.LANGUAGES]
    used = set(audience_languages) | set(campaign.content) | {campaign.fallback_language}
    extra = sorted(code for code in used if code not in known)
    return [code for code in known if code in used] + extra + [code for code in known if code not in used]


class MessageForm(QuestionFields):
    template = forms.ModelChoiceField(
        label=_("Start from a saved template"),
        queryset=MessageTemplate.objects.all(),
        required=False,
        empty_label=_("— write my own —"),
    )
    fallback_language = forms.ChoiceField(
        label=_("Fallback language"), help_text=_("Clients whose language has no version get this one.")
    )
    sms_stop_line = forms.BooleanField(label=_('Add "Reply STOP to opt out" to SMS'), required=False)
    save_as_template = forms.BooleanField(label=_("Save this message as a template"), required=False)
    new_template_name = forms.CharField(label=_("Template name"), required=False, max_length=100)

    def __init__(self, *args: Any, campaign: Campaign, languages: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.languages = languages
        self.channels = [channel for channel in CHANNEL_FIELDS if channel in campaign.channels]
        names = dict(settings.LANGUAGES)
        fallback = self.fields["fallback_language"]
        assert isinstance(fallback, forms.ChoiceField)
        fallback.choices = [(code, names.get(code, code)) for code in languages]
        for name, label in EDITABLE_VARIABLES.items():
            self.fields[f"var_{name}"] = forms.CharField(label=label, required=False, max_length=300)
        for language in languages:
            for channel in self.channels:
                for part, label in CHANNEL_FIELDS[channel]:
                    widget = (
                        forms.TextInput()
                        if part in ("subject", "template")
                        else forms.Textarea(attrs={"rows": 4 if part != "html" else 6})
                    )
                    widget.attrs.update(
                        {
                            "data-language": language,
                            "data-channel": channel,
                            "data-part": part,
                            "class": "js-template-field",
                        }
                    )
                    self.fields[field_name(language, channel, part)] = MessageTextField(
                        label=label,
                        required=False,
                        widget=widget,
                        strip=False,
                        max_length=field_max_length(channel, part),
                    )
        add_public_fields(self, campaign, languages)

    @classmethod
    def initial_for(cls, campaign: Campaign, languages: list[str]) -> dict[str, Any]:
        initial = {
            "template": campaign.template_id,
            "fallback_language": campaign.fallback_language,
            "sms_stop_line": campaign.sms_stop_line,
            **cls.question_initial(campaign),
            **{f"var_{name}": campaign.variables.get(name, "") for name in EDITABLE_VARIABLES},
        }
        for language in languages:
            for channel, parts in CHANNEL_FIELDS.items():
                values = (campaign.content.get(language) or {}).get(channel) or {}
                for part, _label in parts:
                    initial[field_name(language, channel, part)] = values.get(part, "")
        return {**initial, **public_initial(campaign, languages)}

    def language_fields(self, language: str) -> dict[str, list[forms.BoundField]]:
        return {
            channel: [self[field_name(language, channel, part)] for part, _label in CHANNEL_FIELDS[channel]]
            for channel in self.channels
        }

    def public_field(self, language: str) -> forms.BoundField:
        return self[public_field_name(language)]

    def raw_public_text(self) -> dict[str, str]:
        return raw_public_text(self, self.languages)

    def _raw(self, name: str) -> str:
        if self.is_bound:
            return plain_newlines(str(self.data.get(self.add_prefix(name), "") or ""))
        return str(self.initial.get(name) or "")

    def raw_content(self) -> dict[str, Any]:
        """Whatever is typed, valid or not: a draft keeps it when the author goes Back."""
        content: dict[str, Any] = {}
        for language in self.languages:
            for channel in self.channels:
                values = {part: self._raw(field_name(language, channel, part)) for part, _l in CHANNEL_FIELDS[channel]}
                if any(value.strip() for value in values.values()):
                    content.setdefault(language, {})[channel] = values
        return content

    def raw_variables(self) -> dict[str, str]:
        return {name: self._raw(f"var_{name}").strip() for name in EDITABLE_VARIABLES}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        content: dict[str, Any] = {}
        for language in self.languages:
            for channel in self.channels:
                values = {
                    part: data.get(field_name(language, channel, part)) or "" for part, _l in CHANNEL_FIELDS[channel]
                }
                for part, value in values.items():
                    try:
                        template_check(value)  # uxreg: attribute names checked against the registry
                    except TemplateError as error:
                        self.add_error(field_name(language, channel, part), str(error))
                if not any(value.strip() for value in values.values()):
                    continue
                content.setdefault(language, {})[channel] = values
                self._require_complete(language, channel, values)
        fallback = data.get("fallback_language")
        for channel in self.channels:
            if fallback and channel not in (content.get(fallback) or {}):
                first = field_name(fallback, channel, CHANNEL_FIELDS[channel][0][0])
                if not self.has_error(first):
                    self.add_error(
                        first,
                        _(
                            "The fallback language needs this message: every client without a "
                            "version in their language gets it."
                        ),
                    )
        if data.get("save_as_template") and not (data.get("new_template_name") or "").strip():
            self.add_error("new_template_name", _("Name the template to save."))
        data["content"] = content
        clean_public(self, self.languages, content, self.channels)
        data["variables"] = {name: (data.get(f"var_{name}") or "").strip() for name in EDITABLE_VARIABLES}
        return data

    def _require_complete(self, language: str, channel: str, values: dict) -> None:
        if channel not in ("sms", "email"):  # the channel's own rule (notifications/channels)
            for part, problem in channel_spec(channel).missing(values).items():
                self.add_error(field_name(language, channel, part), problem)
            return
        if channel == "sms":
            return
        if not values["subject"].strip():
            self.add_error(field_name(language, channel, "subject"), _("An email needs a subject."))
        if not values["text"].strip() and not values["html"].strip():
            self.add_error(field_name(language, channel, "text"), _("Write the email's text (or its HTML)."))

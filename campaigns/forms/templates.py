"""The staff template pages: a saved message with one version per language (SMS text, email subject/text/HTML)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from campaigns.forms.fields import MessageTextField
from campaigns.forms.message import CHANNEL_FIELDS, field_name
from campaigns.forms.public_text import clean_public_texts, public_field_name, public_text_field
from campaigns.models import IncidentKind, MessageTemplate
from notifications.content import field_max_length, template_check
from notifications.rendering import TemplateError


class MessageTemplateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("For notices of kind"), choices=IncidentKind.choices)
    description = forms.CharField(label=_("Description"), required=False, max_length=255)
    sms_stop_line = forms.BooleanField(label=_('Add "Reply STOP to opt out" to SMS'), required=False)

    def __init__(self, *args: Any, template: MessageTemplate | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.template = template
        self.languages = [code for code, _name in settings.LANGUAGES]
        names = dict(settings.LANGUAGES)
        for language in self.languages:
            self.fields[f"{language}_is_default"] = forms.BooleanField(
                label=_("Default text in %(language)s for new notices of this kind") % {"language": names[language]},
                required=False,
                help_text=_("The outage form fills it in as soon as the kind is chosen (it replaces another default)."),
            )
            for channel, parts in CHANNEL_FIELDS.items():
                for part, label in parts:
                    widget = forms.TextInput() if part == "subject" else forms.Textarea(attrs={"rows": 3})
                    widget.attrs.update({"class": "js-template-field", "data-channel": channel})
                    self.fields[field_name(language, channel, part)] = MessageTextField(
                        label=label,
                        required=False,
                        widget=widget,
                        strip=False,
                        max_length=field_max_length(channel, part),
                    )
            self.fields[public_field_name(language)] = public_text_field(language)

    @classmethod
    def initial_for(cls, template: MessageTemplate) -> dict:
        initial = {
            "name": template.name,
            "kind": template.kind,
            "description": template.description,
            "sms_stop_line": template.sms_stop_line,
        }
        for version in template.versions.all():
            initial[f"{version.language}_is_default"] = version.is_default
            initial[public_field_name(version.language)] = version.public_text
            for channel, values in version.as_content().items():
                for part, value in values.items():
                    initial[field_name(version.language, channel, part)] = value
        return initial

    def language_fields(self) -> list[tuple[str, list[forms.BoundField], forms.BoundField]]:
        """(language name, its text fields, its "default for the kind" box) per language."""
        names = dict(settings.LANGUAGES)
        return [
            (
                names.get(language, language),
                [
                    self[field_name(language, channel, part)]
                    for channel, parts in CHANNEL_FIELDS.items()
                    for part, _label in parts
                ]
                + [self[public_field_name(language)]],
                self[f"{language}_is_default"],
            )
            for language in self.languages
        ]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = MessageTemplate.objects.filter(name=name)
        if self.template is not None:
            clash = clash.exclude(pk=self.template.pk)
        if clash.exists():
            raise forms.ValidationError(_("Another template already has this name."))
        return name

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        content: dict = {}
        for language in self.languages:
            for channel, parts in CHANNEL_FIELDS.items():
                values = {part: data.get(field_name(language, channel, part)) or "" for part, _label in parts}
                for part, value in values.items():
                    try:
                        template_check(value)  # uxreg: attribute names checked against the registry
                    except TemplateError as error:
                        self.add_error(field_name(language, channel, part), str(error))
                if any(value.strip() for value in values.values()):
                    content.setdefault(language, {})[channel] = values
        if not content and not self.errors:
            raise forms.ValidationError(_("Write the message in at least one language."))
        data["defaults"] = [language for language in self.languages if data.get(f"{language}_is_default")]
        for language in data["defaults"]:
            if language not in content:
                self.add_error(f"{language}_is_default", _("Write this language's text to make it the default."))
        data["content"] = content
        data["public_text"] = clean_public_texts(self, self.languages)
        for language in data["public_text"]:
            if language not in content:
                self.add_error(public_field_name(language), _("Write this language's message too."))
        return data

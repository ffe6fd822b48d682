"""The Message step's public page part: a text per language for the incident's public page, and its switch.

The public text is published as written (no placeholders: the page is the same for every reader) and may be much
longer than the SMS. The switch is the incident's ``is_public``, shown while the incident is not yet published;
``public_shown`` says the form carried it, so a post without the tick (an unticked box sends nothing) turns the page
off only when the box was on the page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.forms.fields import MessageTextField, plain_newlines
from campaigns.models import Campaign
from campaigns.services.publishing import PUBLIC_TEXT_MAX_LENGTH
from campaigns.services.short_links import link_uses

PUBLISH_FIELD = "publish_public"
SHOWN_FIELD = "public_shown"


def public_field_name(language: str) -> str:
    return f"{language}_public_text"


def public_text_field(language: str) -> MessageTextField:
    return MessageTextField(
        label=_("Public page text"),
        required=False,
        strip=False,
        max_length=PUBLIC_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "data-language": language, "class": "js-public-text"}),
        help_text=_(
            "Published as written on the incident's public page, for everyone: what is affected, where, what "
            "to do, when the next update comes. It may be longer than the SMS; no placeholders. Leave it empty "
            "to publish the standard sentence of the incident's state."
        ),
    )


def add_public_fields(form: forms.Form, campaign: Campaign, languages: list[str]) -> None:
    """One public text per language, and the page switch while the incident is not yet published."""
    for language in languages:
        form.fields[public_field_name(language)] = public_text_field(language)
    if campaign.incident.published_at is None:
        form.fields[PUBLISH_FIELD] = forms.BooleanField(
            label=_("Publish on the incident's public page"),
            required=False,
            help_text=_("The page and this update appear when the notice goes out; {{ incident_link }} leads there."),
        )
        form.fields[SHOWN_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput)


def public_initial(campaign: Campaign, languages: list[str]) -> dict[str, Any]:
    texts = campaign.public_text or {}
    return {
        PUBLISH_FIELD: campaign.incident.is_public,
        SHOWN_FIELD: "1",
        **{public_field_name(language): texts.get(language, "") for language in languages},
    }


def raw_public_text(form: forms.Form, languages: list[str]) -> dict[str, str]:
    """What is typed in the public text fields, valid or not (a draft keeps it when the author goes Back)."""
    data = form.data if form.is_bound else form.initial
    return {
        language: plain_newlines(str(data.get(form.add_prefix(public_field_name(language)), "") or ""))
        for language in languages
    }


def clean_public_texts(form: forms.Form, languages: list[str]) -> dict[str, str]:
    """The public texts written, per language; a placeholder is an error beside its field."""
    data = form.cleaned_data
    texts: dict[str, str] = {}
    for language in languages:
        name = public_field_name(language)
        text = (data.get(name) or "").strip()
        if "{{" in text or "{%" in text:
            form.add_error(
                name,
                _(
                    "The public page shows this text as written, the same for every reader: write the service, "
                    "times and link out in words instead of {{ … }} placeholders."
                ),
            )
        if text:
            texts[language] = text
    return texts


def clean_public(form: forms.Form, languages: list[str], content: dict[str, Any], channels: list[str]) -> None:
    """Refuse placeholders in a public text, and a message with ``{{ incident_link }}`` on a page turned off."""
    data = form.cleaned_data
    data["public_text"] = clean_public_texts(form, languages)
    data["is_public"] = None
    if PUBLISH_FIELD in form.fields and data.get(SHOWN_FIELD):
        data["is_public"] = bool(data.get(PUBLISH_FIELD))
        if not data["is_public"] and link_uses(content, channels):
            form.add_error(
                PUBLISH_FIELD,
                _(
                    "The message uses {{ incident_link }}, which leads to this page: publish the page, or take the "
                    "link out of the message."
                ),
            )

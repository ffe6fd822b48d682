"""Saved message templates: written from the staff template pages or by "save as template" in the outage form, and
the text each notice kind starts from.

A version marked ``is_default`` is its kind's text in its language; only one version per kind and language holds the
mark (saving one takes it from the others). Where no version is marked, a kind with exactly one template in a language
starts from that one: a portal with one outage template needs no setting for the outage form to use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from campaigns.models import MessageTemplate, TemplateVersion


def _version_fields(channels: dict[str, Any]) -> dict[str, str]:
    sms = channels.get("sms") or {}
    email = channels.get("email") or {}
    return {
        "sms_text": sms.get("text", ""),
        "email_subject": email.get("subject", ""),
        "email_text": email.get("text", ""),
        "email_html": email.get("html", ""),
    }


@transaction.atomic
def message_template_save(
    *,
    name: str,
    kind: str,
    content: dict[str, Any],
    sms_stop_line: bool = False,
    description: str | None = None,
    template: MessageTemplate | None = None,
    defaults: Iterable[str] | None = None,
    public_text: dict[str, str] | None = None,
) -> MessageTemplate:
    """Create or replace a template (found by ``template`` or by name) with one version per language of ``content``.

    Languages missing from ``content`` are removed, so the template holds exactly what was saved. ``defaults`` names
    the languages in which it is its kind's default text (None leaves the marks as they were); ``public_text`` the
    public page's text per language (None leaves it as it was).
    """
    if template is None:
        template = MessageTemplate.objects.filter(name=name).first() or MessageTemplate(name=name)
    template.name = name
    template.kind = kind
    template.sms_stop_line = sms_stop_line
    if description is not None:
        template.description = description
    template.save()
    for language, channels in content.items():
        fields: dict[str, Any] = _version_fields(channels)
        if public_text is not None:
            fields["public_text"] = public_text.get(language, "")
        if defaults is not None:
            fields["is_default"] = language in set(defaults)
        TemplateVersion.objects.update_or_create(template=template, language=language, defaults=fields)
    template.versions.exclude(language__in=list(content)).delete()
    template_defaults_claim(template)
    return template


def template_defaults_claim(template: MessageTemplate) -> None:
    """The template's marked versions become their kind's only default in their language (others lose the mark)."""
    languages = list(template.versions.filter(is_default=True).values_list("language", flat=True))
    if languages:
        TemplateVersion.objects.filter(template__kind=template.kind, language__in=languages, is_default=True).exclude(
            template=template
        ).update(is_default=False)


@dataclass
class KindText:
    """What a notice of one kind starts from: content per language, and the template it mostly comes from."""

    content: dict[str, Any] = field(default_factory=dict)
    template: MessageTemplate | None = None
    public_text: dict[str, str] = field(default_factory=dict)  # what the incident's public page says, per language

    @property
    def sms_stop_line(self) -> bool:
        return self.template.sms_stop_line if self.template is not None else False


def kind_default_versions(kind: str) -> dict[str, TemplateVersion]:
    """{language: version} of the kind's default text: the marked version, else the kind's only one (one query)."""
    versions = TemplateVersion.objects.filter(template__kind=kind).select_related("template").order_by("language")
    by_language: dict[str, list[TemplateVersion]] = {}
    for version in versions:
        by_language.setdefault(version.language, []).append(version)
    chosen = {}
    for language, candidates in by_language.items():
        marked = [version for version in candidates if version.is_default]
        if marked or len(candidates) == 1:
            chosen[language] = (marked or candidates)[0]
    return chosen


def kind_default_text(kind: str, *, languages: Iterable[str] | None = None) -> KindText:
    """The kind's default text in every language it has (or only in ``languages``)."""
    versions = kind_default_versions(kind)
    if languages is not None:
        wanted = set(languages)
        versions = {language: version for language, version in versions.items() if language in wanted}
    if not versions:
        return KindText()
    main = versions.get(settings.LANGUAGE_CODE) or versions[sorted(versions)[0]]
    return KindText(
        content={language: version.as_content() for language, version in sorted(versions.items())},
        template=main.template,
        public_text={language: version.public_text for language, version in versions.items() if version.public_text},
    )

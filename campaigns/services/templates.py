"""Saved message templates: written from the staff template pages or by "save as template" in the outage form."""

from __future__ import annotations

from django.db import transaction

from campaigns.models import MessageTemplate, TemplateVersion


def _version_fields(channels: dict) -> dict:
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
    content: dict,
    sms_stop_line: bool = False,
    description: str | None = None,
    template: MessageTemplate | None = None,
) -> MessageTemplate:
    """Create or replace a template (found by ``template`` or by name) with one version per language of ``content``.

    Languages missing from ``content`` are removed, so the template holds exactly what was saved.
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
        TemplateVersion.objects.update_or_create(
            template=template, language=language, defaults=_version_fields(channels)
        )
    template.versions.exclude(language__in=list(content)).delete()
    return template

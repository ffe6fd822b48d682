"""Drafts: the one way a notice is created and changed before it goes out.

The outage form saves every step here, so a draft lives in the database from the first step and nothing is lost
when the page is left. The monitoring API creates drafts through ``campaign_draft_create`` as well. A draft can
only be edited while it is a draft: once confirmed, its content and audience are frozen in a notifications.Send.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignEvent, Incident, MessageTemplate
from notifications.rendering import TemplateError, compile_template

# The wizard's steps, in order; Campaign.wizard_step holds the furthest one reached.
STEPS = ("incident", "audience", "message", "when", "preview", "test", "send")
STEP_TITLES = {
    "incident": "Incident",
    "audience": "Audience",
    "message": "Message",
    "when": "When",
    "preview": "Preview",
    "test": "Test send",
    "send": "Send",
}
INCIDENT_FIELDS = ("title", "kind", "services", "started_at", "expected_resolution_at", "severity", "internal_note")
# Campaign variables that come from the incident; the others (status_page) are kept when the incident changes.
INCIDENT_VARIABLES = ("incident_title", "service", "started_at", "expected_resolution", "severity")


class CampaignNotEditable(Exception):
    """The notice has left the draft state; its content and audience are frozen."""


def format_moment(value: datetime | None) -> str:
    """How a time reads in a message: '3 May 2026, 14:30 UTC' in the portal's zone."""
    if value is None:
        return ""
    local = timezone.localtime(value, timezone.get_default_timezone())
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def incident_variables(incident: Incident) -> dict[str, str]:
    """The campaign-level placeholder values an incident provides."""
    return {
        "incident_title": incident.title,
        "service": ", ".join(incident.services),
        "started_at": format_moment(incident.started_at),
        "expected_resolution": format_moment(incident.expected_resolution_at),
        "severity": incident.get_severity_display(),
    }


# Labels of the values every recipient shares, as the Message step names them.
SHARED_VARIABLE_LABELS = {
    "incident_title": "Incident title",
    "service": "Affected service",
    "started_at": "Started at",
    "expected_resolution": "Expected resolution",
    "severity": "Severity",
    "status_page": "Status page address",
}


def campaign_empty_variables(campaign: Campaign) -> list[str]:
    """Shared values the message uses but nobody filled in: recipients would read a gap ("restored by .")."""
    used: set[str] = set()
    for parts in (campaign.content or {}).values():
        for channel in campaign.channels or []:
            for source in (parts.get(channel) or {}).values():
                try:
                    used |= compile_template(source or "").variables
                except TemplateError:
                    continue  # the Message step reports template errors itself
    return [
        name
        for name in SHARED_VARIABLE_LABELS
        if name in used and not str((campaign.variables or {}).get(name) or "").strip()
    ]


def template_content(template: MessageTemplate) -> dict:
    """A saved template's versions as campaign content ({language: {channel: {...}}})."""
    return {version.language: version.as_content() for version in template.versions.all()}


def step_index(step: str) -> int:
    return STEPS.index(step) if step in STEPS else 0


def campaign_step_reach(*, campaign: Campaign, step: str) -> Campaign:
    """Record that the author reached ``step``; the furthest step only moves forward."""
    if step_index(step) > step_index(campaign.wizard_step):
        campaign.wizard_step = step
        campaign.save(update_fields=["wizard_step", "updated_at"])
    return campaign


def _event(campaign: Campaign, actor, action: str, detail: str = "") -> None:
    CampaignEvent.objects.create(
        campaign=campaign, actor=actor if getattr(actor, "pk", None) else None, action=action, detail=detail[:500]
    )


def _require_draft(campaign: Campaign) -> None:
    if campaign.state != Campaign.State.DRAFT:
        raise CampaignNotEditable(f"This notice is {campaign.get_state_display()}; it can no longer be edited.")


@transaction.atomic
def campaign_draft_create(
    *,
    incident: Incident | None = None,
    incident_fields: dict | None = None,
    kind: str,
    title: str,
    audience: dict | None = None,
    channels: list[str] | None = None,
    template: MessageTemplate | None = None,
    variables: dict | None = None,
    created_by=None,
    source: str = "web",
) -> Campaign:
    """Create a draft notice (and its incident unless one is given), ready to open in the outage form.

    The wizard step is the first one the given data leaves incomplete, so the form reopens where work remains.
    """
    actor = created_by if getattr(created_by, "pk", None) else None
    if incident is None:
        fields = {key: value for key, value in (incident_fields or {}).items() if key in INCIDENT_FIELDS}
        fields.setdefault("title", title)
        fields.setdefault("kind", kind)
        incident = Incident.objects.create(created_by=actor, **fields)
    content = template_content(template) if template is not None else {}
    fallback = settings.LANGUAGE_CODE if not content or settings.LANGUAGE_CODE in content else sorted(content)[0]
    campaign = Campaign.objects.create(
        incident=incident,
        kind=kind or incident.kind,
        title=title or incident.title,
        audience=audience or {},
        channels=list(channels or []),
        template=template,
        content=content,
        fallback_language=fallback,
        variables={**incident_variables(incident), **(variables or {})},
        sms_stop_line=template.sms_stop_line if template is not None else False,
        created_by=actor,
    )
    campaign.wizard_step = "message" if campaign.audience and campaign.channels else "audience"
    campaign.save(update_fields=["wizard_step"])
    _event(campaign, actor, "drafted", f"source: {source}")
    return campaign


@transaction.atomic
def campaign_incident_update(*, campaign: Campaign, fields: dict, actor=None) -> Campaign:
    """Save the Incident step: the incident's fields, the notice's kind and title, and the incident variables."""
    _require_draft(campaign)
    incident = campaign.incident
    for key in INCIDENT_FIELDS:
        if key in fields:
            setattr(incident, key, fields[key])
    incident.save()
    campaign.kind = incident.kind
    campaign.title = incident.title
    campaign.variables = {**campaign.variables, **incident_variables(incident)}
    campaign.save(update_fields=["kind", "title", "variables", "updated_at"])
    return campaign_step_reach(campaign=campaign, step="audience")


@transaction.atomic
def campaign_audience_update(
    *, campaign: Campaign, audience: dict, channels: list[str], mandatory: bool = False
) -> Campaign:
    """Save the Audience step. A follow-up keeps its parent's exact recipients: only channels may change."""
    _require_draft(campaign)
    if campaign.parent_id is None:
        campaign.audience = audience
    campaign.channels = list(channels)
    campaign.mandatory = mandatory
    campaign.save(update_fields=["audience", "channels", "mandatory", "updated_at"])
    return campaign_step_reach(campaign=campaign, step="message")


@transaction.atomic
def campaign_message_update(
    *,
    campaign: Campaign,
    content: dict,
    fallback_language: str,
    variables: dict,
    sms_stop_line: bool = False,
    template: MessageTemplate | None = None,
    save_as_template: str = "",
    actor=None,
) -> Campaign:
    """Save the Message step. The saved template changes only when ``save_as_template`` names it."""
    from campaigns.services.templates import message_template_save

    _require_draft(campaign)
    campaign.content = content
    campaign.fallback_language = fallback_language
    campaign.variables = {**campaign.variables, **variables}
    campaign.sms_stop_line = sms_stop_line
    if save_as_template:
        template = message_template_save(
            name=save_as_template, kind=campaign.kind, content=content, sms_stop_line=sms_stop_line
        )
        _event(campaign, actor, "template_saved", f"as template “{template.name}”")
    campaign.template = template
    campaign.save(
        update_fields=["content", "fallback_language", "variables", "sms_stop_line", "template", "updated_at"]
    )
    return campaign_step_reach(campaign=campaign, step="when")


@transaction.atomic
def campaign_schedule_update(
    *,
    campaign: Campaign,
    send_mode: str,
    send_at: datetime | None = None,
    repeat_every_hours: int | None = None,
    repeat_until: datetime | None = None,
) -> Campaign:
    """Save the When step: now, at a time, or every N hours until a time (reminders)."""
    _require_draft(campaign)
    campaign.send_mode = send_mode
    campaign.send_at = send_at if send_mode in (Campaign.SendMode.AT, Campaign.SendMode.REPEAT) else None
    campaign.repeat_every_hours = repeat_every_hours if send_mode == Campaign.SendMode.REPEAT else None
    campaign.repeat_until = repeat_until if send_mode == Campaign.SendMode.REPEAT else None
    campaign.save(update_fields=["send_mode", "send_at", "repeat_every_hours", "repeat_until", "updated_at"])
    return campaign_step_reach(campaign=campaign, step="preview")


@transaction.atomic
def campaign_template_apply(*, campaign: Campaign, template: MessageTemplate) -> Campaign:
    """Fill the draft's text from a saved template (every language it has); the template itself is not changed."""
    _require_draft(campaign)
    campaign.content = template_content(template)
    campaign.template = template
    campaign.sms_stop_line = template.sms_stop_line
    if campaign.content and campaign.fallback_language not in campaign.content:
        languages = sorted(campaign.content)
        campaign.fallback_language = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in languages else languages[0]
    campaign.save(update_fields=["content", "template", "sms_stop_line", "fallback_language", "updated_at"])
    return campaign


def campaign_content_keep(*, campaign: Campaign, content: dict, variables: dict) -> Campaign:
    """Keep what was typed at the Message step even when it does not validate yet (Back, or errors shown)."""
    _require_draft(campaign)
    campaign.content = content
    campaign.variables = {**campaign.variables, **variables}
    campaign.save(update_fields=["content", "variables", "updated_at"])
    return campaign

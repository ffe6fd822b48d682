"""Drafts: the one way a notice is created and changed before it goes out.

The outage form saves every step here, so a draft lives in the database from the first step and nothing is lost
when the page is left; the door (door.py) creates the drafts of the command line, the API and alerts here too.
Every change names the fields it changed in the audit trail (so the approver can be someone who changed nothing),
voids an approval the notice had, and is allowed only to the draft's author or to someone with the permission to
edit others' drafts (rules.py). Once confirmed, a notice is no longer a draft and nothing here changes it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from campaigns.models import Campaign, Incident, MessageTemplate
from campaigns.services import audit, rules
from campaigns.services.draft_fields import (
    AUDIENCE_LABELS,
    INCIDENT_FIELDS,
    INCIDENT_LABELS,
    MESSAGE_LABELS,
    SCHEDULE_LABELS,
)
from campaigns.services.public_drafts import public_text_apply
from campaigns.services.steps import campaign_step_reach
from campaigns.services.templates import KindText, kind_default_text
from campaigns.services.variables import incident_variables, template_content, template_public_text


class CampaignNotEditable(Exception):
    """The notice has left the draft state; its content and audience are frozen."""


def _snapshot(obj: object, names: Iterable[str]) -> dict[str, Any]:
    return {name: copy.deepcopy(getattr(obj, name)) for name in names}


def _editing(campaign: Campaign, actor: rules.Actor) -> None:
    """Refuse a notice that is not a draft, or a person who may not edit it; a machine's draft becomes theirs."""
    if campaign.state != Campaign.State.DRAFT:
        raise CampaignNotEditable(f"This notice is {campaign.get_state_display()}; it can no longer be edited.")
    rules.require_editor(campaign, actor)
    user = rules.person(actor)
    if campaign.created_by_id is None and user is not None:
        campaign.created_by = user
        Campaign.objects.filter(pk=campaign.pk, created_by__isnull=True).update(created_by=user)


def _edited(campaign: Campaign, actor: rules.Actor, step: str, names: list[str]) -> None:
    """Record an edit naming its fields; an approval the notice had no longer holds."""
    if not names:
        return
    user = rules.person(actor)
    audit.record(campaign, user, audit.Action.EDITED, f"{step}: {', '.join(names)}")
    if campaign.approved_recipients is not None or campaign.approved_by_id is not None:
        who = campaign.approved_by.get_username() if campaign.approved_by else "the emergency send"
        Campaign.objects.filter(pk=campaign.pk).update(approved_by=None, approved_at=None, approved_recipients=None)
        campaign.approved_by, campaign.approved_at, campaign.approved_recipients = None, None, None
        audit.record(campaign, user, audit.Action.APPROVAL_VOIDED, f"approval by {who} voided by the edit of {step}")


@transaction.atomic
def campaign_draft_create(
    *,
    incident: Incident | None = None,
    incident_fields: dict[str, Any] | None = None,
    kind: str,
    title: str,
    audience: dict[str, Any] | None = None,
    channels: list[str] | None = None,
    template: MessageTemplate | None = None,
    content: dict[str, Any] | None = None,
    variables: dict[str, str] | None = None,
    mandatory: bool = False,
    send_at: datetime | None = None,
    fallback_language: str = "",
    parent: Campaign | None = None,
    created_by: rules.Actor = None,
    source: str = Campaign.Source.WEB,
    source_detail: str = "",
    kind_text: bool = False,
    public_text: dict[str, str] | None = None,
) -> Campaign:
    """Create a draft notice (and its incident unless one is given), ready to open in the outage form.

    The wizard step is the first one the given data leaves incomplete, so the form reopens where work remains. A new
    incident is a draft until its first notice goes out. ``kind_text`` starts a notice given no content nor template
    from its kind's default text (the outage form's first step).
    """
    rules.require(created_by, rules.ADD, "prepare notices")
    actor = rules.person(created_by)
    if incident is None:
        fields = {key: value for key, value in (incident_fields or {}).items() if key in INCIDENT_FIELDS}
        fields.setdefault("title", title)
        fields.setdefault("kind", kind)
        incident = Incident.objects.create(created_by=actor, status=Incident.Status.DRAFT, **fields)
    if content is None and template is None and kind_text:
        text = kind_default_text(kind or incident.kind)
        content, template, public_text = text.content, text.template, text.public_text
    if content is None:
        content = template_content(template) if template is not None else {}
    if public_text is None:
        public_text = template_public_text(template) if template is not None else {}
    default = settings.LANGUAGE_CODE if not content or settings.LANGUAGE_CODE in content else sorted(content)[0]
    campaign = Campaign.objects.create(
        incident=incident,
        kind=kind or incident.kind,
        title=(title or incident.title)[:200],
        audience=audience or {},
        channels=list(channels or []),
        template=template,
        content=content,
        fallback_language=fallback_language or default,
        variables={**incident_variables(incident), **(variables or {})},
        sms_stop_line=template.sms_stop_line if template is not None else False,
        public_text=public_text,
        mandatory=mandatory,
        send_mode=Campaign.SendMode.AT if send_at else Campaign.SendMode.NOW,
        send_at=send_at,
        parent=parent,
        created_by=actor,
        source=source,
        source_detail=source_detail[:200],
    )
    campaign.wizard_step = "message" if campaign.audience and campaign.channels else "audience"
    campaign.save(update_fields=["wizard_step"])
    where = f"{campaign.get_source_display()}{f', {source_detail}' if source_detail else ''}"
    audit.record(campaign, actor, audit.Action.DRAFTED, f"source: {where}")
    return campaign


def _use_text(campaign: Campaign, text: KindText) -> None:
    campaign.content = text.content
    campaign.template = text.template
    campaign.sms_stop_line = text.sms_stop_line
    if text.public_text:  # a template without a public text keeps the one written
        campaign.public_text = text.public_text
    if text.content and campaign.fallback_language not in text.content:
        languages = sorted(text.content)
        campaign.fallback_language = settings.LANGUAGE_CODE if settings.LANGUAGE_CODE in languages else languages[0]


@transaction.atomic
def campaign_incident_update(*, campaign: Campaign, fields: dict[str, Any], actor: rules.Actor) -> Campaign:
    """Save the Incident step: the incident's fields, the notice's kind and title, and the incident variables.

    A new kind brings its default text, unless the text was changed since the old kind's was applied.
    """
    _editing(campaign, actor)
    incident = campaign.incident
    before = _snapshot(incident, INCIDENT_FIELDS)
    content_before = copy.deepcopy(campaign.content)
    for key in INCIDENT_FIELDS:
        if key in fields:
            setattr(incident, key, fields[key])
    incident.save()
    old_kind = campaign.kind
    campaign.kind = incident.kind
    campaign.title = incident.title
    campaign.variables = {**campaign.variables, **incident_variables(incident)}
    if campaign.kind != old_kind and campaign.parent_id is None:
        text = kind_default_text(campaign.kind)
        if text.content and (not campaign.content or campaign.content == kind_default_text(old_kind).content):
            _use_text(campaign, text)
    text_fields = ["content", "template", "sms_stop_line", "fallback_language", "public_text"]
    campaign.save(update_fields=["kind", "title", "variables", *text_fields, "updated_at"])
    changes = audit.changed(before, _snapshot(incident, INCIDENT_FIELDS), INCIDENT_LABELS)
    channels = list(campaign.channels or ["sms", "email"])
    changes += audit.content_changes(content_before, campaign.content, channels)
    _edited(campaign, actor, "Incident", changes)
    return campaign_step_reach(campaign=campaign, step="audience")


@transaction.atomic
def campaign_audience_update(
    *, campaign: Campaign, audience: dict[str, Any], channels: list[str], mandatory: bool = False, actor: rules.Actor
) -> Campaign:
    """Save the Audience step. A follow-up keeps its parent's exact recipients: only channels may change."""
    _editing(campaign, actor)
    before = _snapshot(campaign, AUDIENCE_LABELS)
    if campaign.parent_id is None:
        campaign.audience = audience
    campaign.channels = list(channels)
    campaign.mandatory = mandatory
    campaign.save(update_fields=["audience", "channels", "mandatory", "updated_at"])
    _edited(campaign, actor, "Audience", audit.changed(before, _snapshot(campaign, AUDIENCE_LABELS), AUDIENCE_LABELS))
    return campaign_step_reach(campaign=campaign, step="message")


def _message_changes(campaign: Campaign, before: dict[str, Any]) -> list[str]:
    after = _snapshot(campaign, ("content", "variables", *MESSAGE_LABELS))
    return (
        audit.content_changes(before["content"], after["content"], list(campaign.channels))
        + audit.variable_changes(before["variables"], after["variables"])
        + audit.changed(before, after, MESSAGE_LABELS)
    )


@transaction.atomic
def campaign_message_update(
    *,
    campaign: Campaign,
    content: dict[str, Any],
    fallback_language: str,
    variables: dict[str, str],
    sms_stop_line: bool = False,
    template: MessageTemplate | None = None,
    save_as_template: str = "",
    public_text: dict[str, str] | None = None,
    is_public: bool | None = None,
    actor: rules.Actor,
) -> Campaign:
    """Save the Message step (with the public page's text); the saved template changes only if named."""
    from campaigns.services.templates import message_template_save

    _editing(campaign, actor)
    before = _snapshot(campaign, ("content", "variables", *MESSAGE_LABELS))
    campaign.content = content
    campaign.fallback_language = fallback_language
    campaign.variables = {**campaign.variables, **variables}
    campaign.sms_stop_line = sms_stop_line
    public_changes = public_text_apply(campaign, public_text, is_public)
    if save_as_template:
        template = message_template_save(
            name=save_as_template,
            kind=campaign.kind,
            content=content,
            sms_stop_line=sms_stop_line,
            public_text=campaign.public_text,
        )
        audit.record(campaign, rules.person(actor), audit.Action.TEMPLATE_SAVED, f"as template “{template.name}”")
    campaign.template = template
    fields = ["content", "fallback_language", "variables", "sms_stop_line", "template", "public_text", "updated_at"]
    campaign.save(update_fields=fields)
    _edited(campaign, actor, "Message", _message_changes(campaign, before) + public_changes)
    return campaign_step_reach(campaign=campaign, step="when")


@transaction.atomic
def campaign_schedule_update(
    *,
    campaign: Campaign,
    send_mode: str,
    send_at: datetime | None = None,
    repeat_every_hours: int | None = None,
    repeat_until: datetime | None = None,
    validity_hours: int | None = None,
    pace_per_minute: int | None = None,
    reminder_offsets: list[int] | None = None,
    actor: rules.Actor,
) -> Campaign:
    """Save the When step: now, at a time, or every N hours (reminders); validity, pace, a maintenance's reminders."""
    _editing(campaign, actor)
    before = _snapshot(campaign, SCHEDULE_LABELS)
    campaign.send_mode, campaign.reminder_offsets = send_mode, sorted(set(reminder_offsets or []), reverse=True)
    campaign.send_at = send_at if send_mode in (Campaign.SendMode.AT, Campaign.SendMode.REPEAT) else None
    campaign.repeat_every_hours = repeat_every_hours if send_mode == Campaign.SendMode.REPEAT else None
    campaign.repeat_until = repeat_until if send_mode == Campaign.SendMode.REPEAT else None
    campaign.validity_hours, campaign.pace_per_minute = validity_hours or None, pace_per_minute or None
    campaign.save(update_fields=[*SCHEDULE_LABELS, "updated_at"])
    _edited(campaign, actor, "When", audit.changed(before, _snapshot(campaign, SCHEDULE_LABELS), SCHEDULE_LABELS))
    return campaign_step_reach(campaign=campaign, step="preview")


@transaction.atomic
def campaign_template_apply(*, campaign: Campaign, template: MessageTemplate, actor: rules.Actor) -> Campaign:
    """Fill the draft's text from a saved template (every language it has); the template itself is not changed."""
    _editing(campaign, actor)
    before = _snapshot(campaign, ("content", "variables", *MESSAGE_LABELS))
    text = KindText(content=template_content(template), template=template, public_text=template_public_text(template))
    _use_text(campaign, text)
    fields = ["content", "template", "sms_stop_line", "fallback_language", "public_text", "updated_at"]
    campaign.save(update_fields=fields)
    _edited(campaign, actor, f"Message (template “{template.name}”)", _message_changes(campaign, before))
    return campaign


@transaction.atomic
def campaign_content_keep(
    *,
    campaign: Campaign,
    content: dict[str, Any],
    variables: dict[str, str],
    public_text: dict[str, str] | None = None,
    actor: rules.Actor,
) -> Campaign:
    """Keep what was typed at the Message step even when it does not validate yet (Back, or errors shown)."""
    _editing(campaign, actor)
    before = _snapshot(campaign, ("content", "variables", *MESSAGE_LABELS))
    campaign.content = content
    campaign.variables = {**campaign.variables, **variables}
    public_changes = public_text_apply(campaign, public_text, None)
    campaign.save(update_fields=["content", "variables", "public_text", "updated_at"])
    _edited(campaign, actor, "Message (kept unfinished)", _message_changes(campaign, before) + public_changes)
    return campaign

"""Drafts that are not worth finishing, and past notices worth sending again.

``campaign_discard`` takes an abandoned draft off the drafts list (it stays in the record as *discarded*; its
incident, still a draft if nothing else about it went out, never counts as open). ``campaign_duplicate`` starts a new
draft from any notice: its text, audience, channels, values, validity, pace and failover chain. A notice whose incident is still going on is
duplicated into the same incident (another notice about it, e.g. to more people); one whose incident is over, or
never opened, starts a new incident with the same title, kind, services and severity, starting now.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Incident
from campaigns.services import audit, rules
from campaigns.services.drafts import CampaignNotEditable, campaign_draft_create
from campaigns.services.steps import campaign_step_reach


@transaction.atomic
def campaign_discard(*, campaign: Campaign, actor: rules.Actor) -> Campaign:
    """Discard a draft (its author, or someone allowed to edit others' drafts); recorded with who and when."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.DRAFT:
        raise CampaignNotEditable(f"This notice is {campaign.get_state_display()}; only a draft can be discarded.")
    rules.require_editor(campaign, actor)
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.DISCARDED, updated_at=timezone.now())
    campaign.refresh_from_db()
    audit.record(campaign, rules.person(actor), audit.Action.DISCARDED, f"at the {campaign.wizard_step} step")
    return campaign


def _incident_for_copy(source: Campaign) -> tuple[Incident | None, dict[str, object]]:
    """The same incident while it is open; otherwise the fields of a new one like it, starting now."""
    incident = source.incident
    if incident.status == Incident.Status.OPEN:
        return incident, {}
    fields = {
        "title": incident.title,
        "kind": incident.kind,
        "services": list(incident.services),
        "severity": incident.severity,
        "started_at": timezone.now().replace(second=0, microsecond=0),
    }
    return None, fields


@transaction.atomic
def campaign_duplicate(*, campaign: Campaign, actor: rules.Actor) -> Campaign:
    """A new draft with the notice's text (and its question), audience, channels, values, validity and pace; every
    step filled in."""
    rules.require(actor, rules.ADD, "prepare notices")
    incident, incident_fields = _incident_for_copy(campaign)
    draft = campaign_draft_create(
        incident=incident,
        incident_fields=incident_fields,
        kind=campaign.kind,
        title=campaign.title,
        audience=dict(campaign.audience),
        channels=list(campaign.channels),
        template=campaign.template,
        content=dict(campaign.content),
        variables=dict(campaign.variables) if incident else {"status_page": campaign.variables.get("status_page", "")},
        mandatory=campaign.mandatory,
        fallback_language=campaign.fallback_language,
        created_by=actor,
        source_detail=f"duplicate of #{campaign.pk}",
    )
    copied = {
        "sms_stop_line": campaign.sms_stop_line,
        "validity_hours": campaign.validity_hours,
        "pace_per_minute": campaign.pace_per_minute,
        "reminder_offsets": [] if campaign.maintenance_step else list(campaign.reminder_offsets or []),
        "failover": list(campaign.failover or []),
        "failover_wait_minutes": campaign.failover_wait_minutes,
        # The copied text asks the same one-tap question, so its answers are counted the same way.
        "reply_question": campaign.reply_question,
        "reply_options": list(campaign.reply_options),
    }
    Campaign.objects.filter(pk=draft.pk).update(**copied)
    for field, value in copied.items():
        setattr(draft, field, value)
    campaign_step_reach(campaign=draft, step="preview")
    audit.record(campaign, rules.person(actor), audit.Action.DUPLICATED, f"as draft #{draft.pk}")
    return draft

"""Follow-ups: an update or a resolved notice for the same incident and exactly the first notice's recipients.

The follow-up freezes the parent's actual recipients as explicit client ids, so "resolved" reaches exactly the
people who heard about the outage, not whoever the segment matches today. It is a draft like any other: confirmed
through the door (approval, muted kinds and all).
"""

from __future__ import annotations

from django.db import transaction

from campaigns.models import Campaign, IncidentKind
from campaigns.selectors.messages import campaign_recipient_client_ids
from campaigns.selectors.state import FOLLOW_UP_FROM, campaign_state
from campaigns.services import audit, rules
from campaigns.services.drafts import campaign_draft_create
from campaigns.services.lifecycle import CampaignActionNotAllowed

FOLLOW_UP_KINDS = (IncidentKind.UPDATE, IncidentKind.RESOLVED)
FOLLOW_UP_TITLES = {IncidentKind.UPDATE: "Update: {title}", IncidentKind.RESOLVED: "Resolved: {title}"}


@transaction.atomic
def campaign_follow_up(
    *,
    campaign: Campaign,
    kind: str,
    actor: rules.Actor = None,
    source: str = Campaign.Source.WEB,
    source_detail: str = "",
) -> Campaign:
    """Draft an update or resolved notice for the same incident and exactly the parent's recipients."""
    rules.require(actor, rules.ADD, "prepare notices")
    if kind not in FOLLOW_UP_KINDS:
        raise CampaignActionNotAllowed(f"A follow-up is an update or a resolved notice, not {kind!r}.")
    if campaign_state(campaign) not in FOLLOW_UP_FROM:
        raise CampaignActionNotAllowed(f"A {campaign.get_state_display()} notice cannot be followed up.")
    client_ids = campaign_recipient_client_ids(campaign)
    draft = campaign_draft_create(
        incident=campaign.incident,
        kind=kind,
        title=FOLLOW_UP_TITLES[IncidentKind(kind)].format(title=campaign.incident.title),
        audience={"clients": client_ids},
        channels=list(campaign.channels),
        variables=dict(campaign.variables),
        mandatory=campaign.mandatory,
        fallback_language=campaign.fallback_language,
        parent=campaign,
        created_by=actor,
        source=source,
        source_detail=source_detail or f"follow-up of #{campaign.pk}",
    )
    detail = f"{IncidentKind(kind).label} notice #{draft.pk} for {len(client_ids)} client(s)"
    audit.record(campaign, rules.person(actor), audit.Action.FOLLOW_UP_DRAFTED, detail)
    return draft

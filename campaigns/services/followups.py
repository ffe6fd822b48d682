"""Follow-ups: an update or a resolved notice for the same incident and exactly the first notice's recipients.

The follow-up freezes the parent's actual recipients as explicit client ids, so "resolved" reaches exactly the
people who heard about the outage, not whoever the segment matches today, on the parent's channels. Its text is the
kind's default text (campaigns/services/templates.py) in every language the first notice used; an update with no
such text starts from the first notice's own text. It is a draft like any other, confirmed through the door
(approval, muted kinds and all); when its text is complete it opens on the Send step, where the exact messages,
the people and the confirmation are on one page.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from campaigns.models import Campaign, IncidentKind, MessageTemplate
from campaigns.selectors.messages import campaign_recipient_client_ids
from campaigns.selectors.state import FOLLOW_UP_FROM, campaign_state
from campaigns.services import audit, rules
from campaigns.services.drafts import campaign_draft_create
from campaigns.services.lifecycle import CampaignActionNotAllowed
from campaigns.services.steps import campaign_step_reach
from campaigns.services.templates import kind_default_text
from notifications.content import content_errors

FOLLOW_UP_KINDS = (IncidentKind.UPDATE, IncidentKind.RESOLVED)
FOLLOW_UP_TITLES = {IncidentKind.UPDATE: "Update: {title}", IncidentKind.RESOLVED: "Resolved: {title}"}


def follow_up_text(parent: Campaign, kind: str) -> tuple[dict[str, Any], MessageTemplate | None, dict[str, str]]:
    """The follow-up's content, template and public text: the kind's default text in the parent's languages (and
    fallback); an update without one starts from the parent's. A resolved notice without a public text of its own
    publishes the standard "resolved" sentence, never the outage's text again."""
    languages = {*parent.content, parent.fallback_language}
    text = kind_default_text(kind, languages=languages)
    public_text = text.public_text or (dict(parent.public_text or {}) if kind == IncidentKind.UPDATE else {})
    if text.content:
        return text.content, text.template, public_text
    if kind == IncidentKind.UPDATE:
        return dict(parent.content), parent.template, public_text
    return {}, None, public_text


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
    content, template, public_text = follow_up_text(campaign, kind)
    draft = campaign_draft_create(
        incident=campaign.incident,
        kind=kind,
        title=FOLLOW_UP_TITLES[IncidentKind(kind)].format(title=campaign.incident.title),
        audience={"clients": client_ids},
        channels=list(campaign.channels),
        template=template,
        content=content,
        public_text=public_text,
        variables=dict(campaign.variables),
        mandatory=campaign.mandatory,
        fallback_language=campaign.fallback_language if campaign.fallback_language in content else "",
        parent=campaign,
        created_by=actor,
        source=source,
        source_detail=source_detail or f"follow-up of #{campaign.pk}",
    )
    if content and not content_errors(content, list(draft.channels)):
        campaign_step_reach(campaign=draft, step="send")
    detail = f"{IncidentKind(kind).label} notice #{draft.pk} for {len(client_ids)} client(s)"
    audit.record(campaign, rules.person(actor), audit.Action.FOLLOW_UP_DRAFTED, detail)
    return draft

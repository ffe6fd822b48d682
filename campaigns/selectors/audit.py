"""A notice's audit trail as its pages read it: every event, the approval request it waits on, a decline."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery

from campaigns.models import Campaign, CampaignEvent
from campaigns.services.audit import Action

APPROVAL_ACTIONS = (Action.APPROVAL_REQUESTED, Action.APPROVAL_DECLINED, Action.APPROVED, Action.EMERGENCY_SEND)


def campaign_events(campaign: Campaign) -> QuerySet[CampaignEvent]:
    return campaign.events.select_related("actor").order_by("at", "id")


def last_approval_event(campaign: Campaign) -> CampaignEvent | None:
    return (
        CampaignEvent.objects.select_related("actor")
        .filter(campaign=campaign, action__in=APPROVAL_ACTIONS)
        .order_by("-at", "-id")
        .first()
    )


def standing_decline(campaign: Campaign) -> CampaignEvent | None:
    """The decline (with its reason) the author still has to act on: the last word on approval was a decline."""
    event = last_approval_event(campaign)
    return event if event is not None and event.action == Action.APPROVAL_DECLINED else None


def approval_request(campaign: Campaign) -> CampaignEvent | None:
    """Why and since when the notice waits for approval (None unless it waits)."""
    if campaign.state != Campaign.State.AWAITING_APPROVAL:
        return None
    event = last_approval_event(campaign)
    return event if event is not None and event.action == Action.APPROVAL_REQUESTED else None


def latest_event_subquery(action: str, column: str) -> Subquery:
    events = CampaignEvent.objects.filter(campaign=OuterRef("pk"), action=action).order_by("-at", "-id")
    return Subquery(events.values(column)[:1])

"""A notice's life after it was confirmed: pause, resume, cancel, retry its failures, follow it up, close its incident.

Each action delegates the message work to ``notifications.services.sends`` and writes one ``CampaignEvent``, so the
audit trail says who did what and when. Follow-ups freeze the parent's actual recipients as explicit client ids, so
"resolved" reaches exactly the people who heard about the outage, not whoever the segment matches today.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from campaigns import selectors
from campaigns.models import Campaign, CampaignEvent, Incident, IncidentKind
from campaigns.services.drafts import campaign_draft_create
from notifications.services.sends import send_cancel, send_pause, send_resume, send_retry_failed


class CampaignActionNotAllowed(Exception):
    """The action does not apply to the notice in its current state."""


FOLLOW_UP_KINDS = (IncidentKind.UPDATE, IncidentKind.RESOLVED)
FOLLOW_UP_TITLES = {IncidentKind.UPDATE: "Update: {title}", IncidentKind.RESOLVED: "Resolved: {title}"}


def _event(*, campaign: Campaign, actor, action: str, detail: str = "") -> CampaignEvent:
    return CampaignEvent.objects.create(
        campaign=campaign, actor=actor if getattr(actor, "pk", None) else None, action=action, detail=detail[:500]
    )


def _require(campaign: Campaign, allowed: tuple[str, ...], action: str) -> str:
    state = selectors.campaign_state(campaign)
    if state not in allowed:
        raise CampaignActionNotAllowed(f"A {Campaign.State(state).label} notice cannot be {action}.")
    return state


@transaction.atomic
def campaign_pause(*, campaign: Campaign, actor=None) -> Campaign:
    """Stop handing the notice's pending messages to the provider; messages already accepted still report."""
    _require(campaign, selectors.PAUSABLE, "paused")
    send_pause(send=selectors.campaign_main_send(campaign))
    _event(campaign=campaign, actor=actor, action="paused")
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, actor=None) -> Campaign:
    """Carry on sending a paused notice from the first message not yet sent."""
    _require(campaign, selectors.RESUMABLE, "resumed")
    send_resume(send=selectors.campaign_main_send(campaign))
    _event(campaign=campaign, actor=actor, action="resumed")
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, actor=None) -> Campaign:
    """Cancel a notice: a draft never goes out; a started send stops, its unsent messages become cancelled."""
    _require(campaign, selectors.CANCELLABLE, "cancelled")
    send = selectors.campaign_main_send(campaign)
    if send is not None:
        send_cancel(send=send)
    campaign.state = Campaign.State.CANCELLED
    campaign.save(update_fields=["state", "updated_at"])
    _event(campaign=campaign, actor=actor, action="cancelled")
    return campaign


@transaction.atomic
def campaign_retry_failed(*, campaign: Campaign, actor=None, include: tuple[str, ...] = ()) -> int:
    """Put the notice's failed and expired messages back in the queue; returns how many will be sent again.

    Rejected and undeliverable messages are retried only when named in ``include``. Delivered and accepted
    messages are never resent: only rows in a failure state move, and ``send_retry_failed`` moves them.
    """
    states = selectors.retry_states(include)
    send = selectors.campaign_main_send(campaign)
    if send is None or selectors.campaign_state(campaign) == Campaign.State.CANCELLED:
        raise CampaignActionNotAllowed("Only a notice that was sent can retry its failures.")
    count = send_retry_failed(send=send, states=states)
    _event(
        campaign=campaign,
        actor=actor,
        action="retried",
        detail=f"{count} message(s) queued again ({', '.join(states)})",
    )
    return count


@transaction.atomic
def campaign_follow_up(*, campaign: Campaign, kind: str, actor=None) -> Campaign:
    """Draft an update or resolved notice for the same incident and exactly the parent's recipients."""
    if kind not in FOLLOW_UP_KINDS:
        raise CampaignActionNotAllowed(f"A follow-up is an update or a resolved notice, not {kind!r}.")
    _require(campaign, selectors.FOLLOW_UP_FROM, "followed up")
    client_ids = selectors.campaign_recipient_client_ids(campaign)
    draft = campaign_draft_create(
        incident=campaign.incident,
        kind=kind,
        title=FOLLOW_UP_TITLES[kind].format(title=campaign.incident.title),
        audience={"clients": client_ids},
        channels=list(campaign.channels),
        variables=dict(campaign.variables),
        created_by=actor,
        source=f"follow-up of #{campaign.pk}",
    )
    draft.parent = campaign
    draft.mandatory = campaign.mandatory
    draft.fallback_language = campaign.fallback_language
    draft.save(update_fields=["parent", "mandatory", "fallback_language", "updated_at"])
    _event(
        campaign=campaign,
        actor=actor,
        action="follow_up_drafted",
        detail=f"{IncidentKind(kind).label} notice #{draft.pk} for {len(client_ids)} client(s)",
    )
    return draft


@transaction.atomic
def incident_resolve(*, incident: Incident, actor=None, campaign: Campaign | None = None) -> Incident:
    """Mark the incident resolved (once); called when its resolved notice is sent, or by hand from its page."""
    updated = Incident.objects.filter(pk=incident.pk, status=Incident.Status.OPEN).update(
        status=Incident.Status.RESOLVED, resolved_at=timezone.now()
    )
    incident.refresh_from_db(fields=["status", "resolved_at"])
    if updated and campaign is not None:
        _event(campaign=campaign, actor=actor, action="incident_resolved", detail=f"incident #{incident.pk}")
    return incident


def campaign_sent(*, campaign: Campaign, actor=None) -> Campaign:
    """What follows a notice going out: a resolved notice closes its incident."""
    if campaign.kind == IncidentKind.RESOLVED:
        incident_resolve(incident=campaign.incident, actor=actor, campaign=campaign)
    return campaign

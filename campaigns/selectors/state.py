"""What a notice shows: its state (its own, or its main send's), the notices list, and what can be done to it.

The state shown is the campaign row's own while it decides (draft, awaiting approval, paused, cancelled, failed, or
scheduled/sending before a main send exists), then its main send's (sending, completed...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import OuterRef, Q, QuerySet, Subquery

from campaigns.models import Campaign, CampaignSend
from campaigns.selectors.maintenance import is_maintenance_notice, maintenance_pending
from notifications.models import Send

# A send's state → the state its campaign shows.
STATE_FROM_SEND: dict[str, str] = {
    Send.State.SCHEDULED: Campaign.State.SCHEDULED,
    Send.State.QUEUED: Campaign.State.SENDING,
    Send.State.SENDING: Campaign.State.SENDING,
    Send.State.PAUSED: Campaign.State.PAUSED,
    Send.State.COMPLETED: Campaign.State.COMPLETED,
    Send.State.CANCELLED: Campaign.State.CANCELLED,
}
# Campaign states that the campaign row decides even when a send exists.
OWN_STATES = (
    Campaign.State.DRAFT,
    Campaign.State.AWAITING_APPROVAL,
    Campaign.State.PAUSED,
    Campaign.State.CANCELLED,
    Campaign.State.FAILED,
    Campaign.State.DISCARDED,
)
# Sends that are still going (or about to): what pausing and cancelling a notice stops.
ACTIVE_SEND_STATES = (Send.State.SCHEDULED, Send.State.QUEUED, Send.State.SENDING)
FOLLOW_UP_FROM = (Campaign.State.SENDING, Campaign.State.PAUSED, Campaign.State.COMPLETED)
# "#12" or "12" in the search box also finds notice 12 and the notices of incident 12 (ASCII digits only).
NOTICE_NUMBER = re.compile(r"#?([0-9]{1,18})")


def main_send_subquery(column: str) -> Subquery:
    links = CampaignSend.objects.filter(campaign=OuterRef("pk"), role=CampaignSend.Role.MAIN).order_by("-id")
    return Subquery(links.values(f"send__{column}")[:1])


def with_main_send(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Annotate ``main_send_id``, ``main_send_state`` and ``main_send_materialized`` (one subquery each)."""
    return campaigns.annotate(
        main_send_id=main_send_subquery("id"),
        main_send_state=main_send_subquery("state"),
        main_send_materialized=main_send_subquery("materialized_at"),
    )


def campaign_list_queryset(*, state: str = "", kind: str = "", search: str = "") -> QuerySet[Campaign]:
    """Every notice but discarded drafts (unless asked for), newest first, with its main send and live state
    annotated; filtered and searched."""
    campaigns = with_main_send(
        Campaign.objects.select_related("incident", "created_by", "sent_by", "emergency_by")
    ).order_by("-created_at", "-id")
    if kind:
        campaigns = campaigns.filter(kind=kind)
    if search:
        query = Q(title__icontains=search) | Q(incident__title__icontains=search)
        number = NOTICE_NUMBER.fullmatch(search)
        if number:
            query |= Q(pk=int(number[1])) | Q(incident_id=int(number[1]))
        campaigns = campaigns.filter(query)
    if state:
        campaigns = campaigns.filter(state_filter(state))
    else:  # discarded drafts only when asked for
        campaigns = campaigns.exclude(state=Campaign.State.DISCARDED)
    return campaigns


def state_filter(state: str) -> Q:
    """The SQL condition for 'shows state X' on a queryset annotated by ``with_main_send``."""
    send_states = [send_state for send_state, shown in STATE_FROM_SEND.items() if shown == state]
    own = Q(state=state) & (Q(state__in=OWN_STATES) | Q(main_send_state__isnull=True))
    return own | (Q(main_send_state__in=send_states) & ~Q(state__in=OWN_STATES))


def campaign_main_send(campaign: Campaign) -> Send | None:
    link = (
        CampaignSend.objects.select_related("send")
        .filter(campaign=campaign, role=CampaignSend.Role.MAIN)
        .order_by("-id")
        .first()
    )
    return link.send if link else None


def campaign_state(campaign: Campaign, send_state: str | None = None) -> str:
    """The state a notice shows; pass ``send_state`` when already annotated to save a query."""
    if campaign.state in OWN_STATES:
        return campaign.state
    if send_state is None:
        send = campaign_main_send(campaign)
        send_state = send.state if send else None
    return STATE_FROM_SEND.get(send_state, campaign.state) if send_state else campaign.state


def campaign_sends(campaign: Campaign, *, roles: tuple[str, ...] = ()) -> list[tuple[str, Send]]:
    """The notice's sends as (role, send), oldest first: the main send then each reminder (tests when asked)."""
    roles = roles or (CampaignSend.Role.MAIN, CampaignSend.Role.REMINDER)
    links = CampaignSend.objects.select_related("send", "send__created_by").filter(campaign=campaign, role__in=roles)
    return [(link.role, link.send) for link in links.order_by("id")]


def campaign_test_sends(campaign: Campaign) -> list[Send]:
    return [send for _, send in campaign_sends(campaign, roles=(CampaignSend.Role.TEST,))]


@dataclass(frozen=True)
class NoticeActions:
    """What can be done to the notice as a whole now."""

    pause: bool = False
    resume: bool = False
    cancel: bool = False
    reopen: bool = False


def _schedule_left(campaign: Campaign) -> bool:
    """A maintenance notice whose reminders or started/completed notices are still to come (they are cancelled with
    it: campaigns/services/lifecycle.py)."""
    return is_maintenance_notice(campaign) and maintenance_pending(campaign).exists()


def notice_actions(campaign: Campaign) -> NoticeActions:
    """Pause while anything is going or a reminder is to come; cancel until it is over; reopen a scheduled one."""
    states = {send.state for _, send in campaign_sends(campaign)}
    active = bool(states & set(ACTIVE_SEND_STATES))
    paused_send = Send.State.PAUSED in states
    row = campaign.state
    going = row == Campaign.State.SENDING and (active or campaign.next_run_at is not None)
    return NoticeActions(
        pause=going,
        resume=row == Campaign.State.PAUSED or (row == Campaign.State.SENDING and paused_send),
        cancel=going
        or (row == Campaign.State.SENDING and (paused_send or _schedule_left(campaign)))
        or row
        in (
            Campaign.State.DRAFT,
            Campaign.State.AWAITING_APPROVAL,
            Campaign.State.SCHEDULED,
            Campaign.State.PAUSED,
        ),
        reopen=row == Campaign.State.SCHEDULED and not states,
    )

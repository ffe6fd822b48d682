"""Starting what is due: notices scheduled for a time, and the reminders of repeating notices.

Campaigns own their schedule: a scheduled notice has no Send until its time comes, so its audience is counted
again when it starts, and the approval threshold applied to that number. Above it (and above what an approval
covered), the notice waits for approval instead of starting, and the approvers are told. A paused, cancelled or
waiting notice starts nothing. The periodic task (campaigns/tasks.py) calls ``campaigns_start_due``; each start
happens once, however often or concurrently it runs (row lock plus conditional UPDATE).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignSend
from campaigns.services.approval import approval_request
from campaigns.services.maintenance import maintenance_audience_freeze
from campaigns.services.reach import approval_needed, campaign_reach
from campaigns.services.starting import main_send_start, reminder_start


def _grew(reach_now: int, campaign: Campaign, what: str) -> str:
    covered = campaign.approved_recipients
    before = f"approved for {covered}" if covered is not None else f"{campaign.audience_size} when confirmed"
    return (
        f"{what} it would reach {reach_now} recipient(s) ({before}), above the approval threshold of "
        f"{settings.APPROVAL_THRESHOLD}; it waits for approval."
    )


def scheduled_start(*, campaign_id: int) -> bool:
    """Start one scheduled notice whose time has come, or make it wait for approval; True if it started."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.state != Campaign.State.SCHEDULED:
            return False
        if not maintenance_audience_freeze(campaign):
            return False
        reach = campaign_reach(campaign)
        if approval_needed(campaign, reach):
            why = _grew(reach.recipients, campaign, "At its scheduled start")
            approval_request(campaign, actor=None, reach=reach, from_state=Campaign.State.SCHEDULED, why=why)
            return False
        main_send_start(campaign, reach=reach)
        return True


def reminder_due(*, campaign_id: int, due_at: datetime) -> bool:
    """Start the reminder of a repeating notice due at ``due_at``, or make it wait for approval; True if started."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
        if campaign is None or campaign.state != Campaign.State.SENDING or campaign.next_run_at != due_at:
            return False
        reach = campaign_reach(campaign)
        if approval_needed(campaign, reach):
            why = _grew(reach.recipients, campaign, "For its next reminder")
            approval_request(campaign, actor=None, reach=reach, from_state=Campaign.State.SENDING, why=why)
            return False
        return reminder_start(campaign, due_at=due_at, reach=reach) is not None


def campaigns_start_due(*, now: datetime | None = None) -> int:
    """Start every scheduled notice and reminder that is due; returns how many sends started."""
    now = now or timezone.now()
    scheduled = (
        Campaign.objects.filter(state=Campaign.State.SCHEDULED, send_at__lte=now)
        .exclude(campaign_sends__role=CampaignSend.Role.MAIN)  # scheduled by an older version as a Send
        .order_by("send_at", "pk")  # in time order: a maintenance's "started" after its last reminder
        .values_list("pk", flat=True)
    )
    started = sum(scheduled_start(campaign_id=pk) for pk in list(scheduled))
    reminders = Campaign.objects.filter(
        send_mode=Campaign.SendMode.REPEAT, state=Campaign.State.SENDING, next_run_at__lte=now
    ).values_list("pk", "next_run_at")
    for pk, due_at in list(reminders):
        if due_at is not None:
            started += reminder_due(campaign_id=pk, due_at=due_at)
    return started

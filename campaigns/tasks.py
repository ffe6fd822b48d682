"""Periodic work of campaigns: reminders of notices that repeat every N hours until a time."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

REMINDER_STATES = ("sending", "scheduled", "completed")


@shared_task(name="campaigns.tasks.reminders_due_task")
def reminders_due_task() -> int:
    """Start a reminder for every repeating notice that is due; each one starts once (conditional UPDATE)."""
    from campaigns.models import Campaign
    from campaigns.services.sending import campaign_reminder_start

    now = timezone.now()
    due = Campaign.objects.filter(
        send_mode=Campaign.SendMode.REPEAT, next_run_at__lte=now, state__in=REMINDER_STATES
    ).values_list("pk", "next_run_at")
    started = 0
    for campaign_id, due_at in list(due):
        if campaign_reminder_start(campaign_id=campaign_id, due_at=due_at, now=now) is not None:
            started += 1
    return started

"""Periodic work of campaigns: start scheduled notices and the reminders of repeating ones when they are due."""

from __future__ import annotations

from celery import shared_task

from campaigns.services.schedule import campaigns_start_due


@shared_task(name="campaigns.tasks.notices_due_task")
def notices_due_task() -> int:
    """Start what is due (each start happens once however often this runs); returns how many sends started."""
    return campaigns_start_due()

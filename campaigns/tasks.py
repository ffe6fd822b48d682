"""Periodic work of campaigns: start scheduled notices and the reminders of repeating ones when they are due; move
short-link clicks from the cache to the database."""

from __future__ import annotations

from celery import shared_task

from campaigns.services.clicks import clicks_flush
from campaigns.services.schedule import campaigns_start_due


@shared_task(name="campaigns.tasks.notices_due_task")
def notices_due_task() -> int:
    """Start what is due (each start happens once however often this runs); returns how many sends started."""
    return campaigns_start_due()


@shared_task(name="campaigns.tasks.clicks_flush_task")
def clicks_flush_task() -> int:
    """Move short-link clicks counted in Redis into the database; returns how many moved."""
    return clicks_flush()

"""Planned maintenance, read: the window of a maintenance notice, the notices its schedule plans (a reminder at each
chosen offset before the start, "started" at the start, "completed" at the end), and those it made. No writes.

Why here: the When step validates the offsets against the window and shows the plan, the door's services create the
notices from the same plan (campaigns/services/maintenance.py), and the notice page lists them; one computation
serves all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet

from campaigns.models import Campaign, Incident, IncidentKind

REMINDER, STARTED, COMPLETED = "reminder", "started", "completed"
#: Offsets (minutes before the start) a new maintenance notice starts with: a day before, and an hour before.
DEFAULT_REMINDER_OFFSETS = (24 * 60, 60)
#: Notices of the schedule that may still go out (a reopened one is a draft until confirmed again).
PENDING_STATES = (
    Campaign.State.DRAFT,
    Campaign.State.AWAITING_APPROVAL,
    Campaign.State.SCHEDULED,
    Campaign.State.SENDING,
    Campaign.State.PAUSED,
)


@dataclass(frozen=True)
class Planned:
    """One notice of a maintenance's schedule: what it is, when it goes, and (reminders) how long before the start."""

    step: str
    at: datetime
    offset_minutes: int | None = None

    @property
    def label(self) -> str:
        if self.step == REMINDER and self.offset_minutes is not None:
            return f"Reminder, {offset_label(self.offset_minutes)} before"
        return {STARTED: "Started", COMPLETED: "Completed"}.get(self.step, self.step)


def offset_label(minutes: int) -> str:
    """'24 h', '90 min', '1 h 30 min'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def is_maintenance_notice(campaign: Campaign) -> bool:
    """A notice that announces a maintenance window (not a notice its schedule made, nor a follow-up)."""
    return campaign.kind == IncidentKind.MAINTENANCE and not campaign.maintenance_step and campaign.parent_id is None


def planned_notices(incident: Incident, offsets: list[int], *, first_at: datetime) -> list[Planned]:
    """What a maintenance notice going out at ``first_at`` schedules for the incident's window, in time order: each
    reminder still after ``first_at``, "started" if the window starts later, "completed" if it has an end."""
    start, end = incident.started_at, incident.expected_resolution_at
    plan = [
        Planned(REMINDER, start - timedelta(minutes=offset), offset)
        for offset in sorted(set(offsets), reverse=True)
        if start - timedelta(minutes=offset) > first_at
    ]
    if start > first_at:
        plan.append(Planned(STARTED, start))
    if end is not None and end > first_at and end > start:
        plan.append(Planned(COMPLETED, end))
    return plan


def maintenance_root(campaign: Campaign) -> Campaign | None:
    """The maintenance notice whose schedule this page shows: the notice itself, or the one that made it."""
    if is_maintenance_notice(campaign):
        return campaign
    if campaign.maintenance_step and campaign.parent is not None:
        return campaign.parent
    return None


def maintenance_notices(root: Campaign) -> QuerySet[Campaign]:
    """The notices the maintenance notice's schedule made, in time order (not those dropped when it was taken back)."""
    notices = Campaign.objects.filter(parent=root).exclude(maintenance_step="").exclude(state=Campaign.State.DISCARDED)
    return notices.order_by("send_at", "pk")


def maintenance_pending(root: Campaign) -> QuerySet[Campaign]:
    """Those that may still go out: what cancelling the maintenance cancels."""
    return maintenance_notices(root).filter(state__in=PENDING_STATES)


@dataclass(frozen=True)
class ScheduleRow:
    notice: Campaign
    label: str
    pending: bool


def maintenance_rows(root: Campaign) -> list[ScheduleRow]:
    """The notice page's "Maintenance schedule": each notice the schedule made, its label, whether still to come."""
    start = root.incident.started_at
    rows = []
    for notice in maintenance_notices(root):
        offset = None
        if notice.maintenance_step == REMINDER and notice.reminder_offsets:
            offset = int(notice.reminder_offsets[0])
        elif notice.maintenance_step == REMINDER and notice.send_at is not None:
            offset = round((start - notice.send_at).total_seconds() / 60)
        label = Planned(notice.maintenance_step, notice.send_at or start, offset).label
        rows.append(ScheduleRow(notice=notice, label=label, pending=notice.state in PENDING_STATES))
    return rows

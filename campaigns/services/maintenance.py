"""Planned maintenance: the notices a maintenance notice schedules for its window when it is confirmed.

A maintenance notice carries its window: its incident's start and expected end, entered in the author's zone and
shown to each customer in theirs. Confirmed through the door (``campaign_go``), it schedules notices of its own, each
``scheduled`` for its time: a reminder at each offset chosen on the When step, "started" at the start and
"completed" at the end (campaigns/selectors/maintenance.py plans them). They are ordinary scheduled notices, not a
second scheduler: schedule.py starts each when due, with the approval counted again, muted kinds, validity and quiet
hours as for any notice, and each can be changed or cancelled on its page. Just before one starts, its audience is
frozen to the maintenance notice's actual recipients (the clients its main send reached, not the segment evaluated
again), so a client who joined later hears nothing of a maintenance they never heard of; one who opted out since is
left out by the usual consent rules. Cancelling the maintenance cancels them (lifecycle.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from campaigns.models import Campaign, IncidentKind, PublicState
from campaigns.selectors.maintenance import (
    COMPLETED,
    REMINDER,
    STARTED,
    Planned,
    is_maintenance_notice,
    maintenance_notices,
    planned_notices,
)
from campaigns.selectors.messages import campaign_recipient_client_ids
from campaigns.selectors.state import campaign_main_send
from campaigns.services import audit
from campaigns.services.templates import kind_default_text

# What each notice of the schedule is: its kind (muted kinds, superseding, validity) and the public state it sets.
STEP_KIND = {REMINDER: IncidentKind.MAINTENANCE, STARTED: IncidentKind.UPDATE, COMPLETED: IncidentKind.RESOLVED}
STEP_PUBLIC_STATE = {REMINDER: "", STARTED: PublicState.IN_PROGRESS, COMPLETED: PublicState.COMPLETED}
STEP_TITLE = {REMINDER: "Reminder ({before}): {title}", STARTED: "Started: {title}", COMPLETED: "Completed: {title}"}


def _text(root: Campaign, step: str) -> dict[str, Any]:
    """A reminder and "started" repeat the maintenance notice's text (what, when); "completed" is the resolved kind's
    default text in the notice's languages, else the notice's own. Each can be changed on its page (Change)."""
    same = {"content": dict(root.content), "template": root.template, "public_text": {}}
    if step != COMPLETED:
        return same
    text = kind_default_text(IncidentKind.RESOLVED, languages={*root.content, root.fallback_language})
    if not text.content:
        return same
    return {"content": text.content, "template": text.template, "public_text": text.public_text}


def _notice(root: Campaign, plan: Planned, actor: User | None) -> Campaign:
    text = _text(root, plan.step)
    fallback = root.fallback_language if root.fallback_language in text["content"] else sorted(text["content"])[0]
    return Campaign.objects.create(
        incident=root.incident,
        kind=STEP_KIND[plan.step],
        title=STEP_TITLE[plan.step].format(title=root.incident.title, before=plan.label.partition(", ")[2])[:200],
        state=Campaign.State.SCHEDULED,
        wizard_step="send",
        maintenance_step=plan.step,
        reminder_offsets=[plan.offset_minutes] if plan.offset_minutes is not None else [],  # its own, for its label
        parent=root,
        audience=dict(root.audience),
        channels=list(root.channels),
        fallback_language=fallback,
        variables=dict(root.variables),
        sms_stop_line=root.sms_stop_line,
        public_state=STEP_PUBLIC_STATE[plan.step],
        mandatory=root.mandatory,
        send_mode=Campaign.SendMode.AT,
        send_at=plan.at,
        validity_hours=root.validity_hours,
        pace_per_minute=root.pace_per_minute,
        audience_size=root.audience_size,
        approved_by=root.approved_by,
        approved_at=root.approved_at,
        approved_recipients=root.approved_recipients,
        created_by=root.created_by,
        sent_by=actor,
        source=root.source,
        source_detail=f"maintenance notice #{root.pk}",
        **text,
    )


def maintenance_schedule(campaign: Campaign, *, actor: User | None, first_at: datetime | None) -> list[Campaign]:
    """A maintenance notice was confirmed (sent now, or scheduled for ``first_at``): schedule its reminders and its
    "started" and "completed" notices, once. Anything else schedules nothing."""
    if not is_maintenance_notice(campaign) or maintenance_notices(campaign).exists():
        return []
    plan = planned_notices(
        campaign.incident, list(campaign.reminder_offsets or []), first_at=first_at or timezone.now()
    )
    notices = []
    for planned in plan:
        notice = _notice(campaign, planned, actor)
        when = f"{timezone.localtime(planned.at):%Y-%m-%d %H:%M %Z}"
        detail = f"{planned.label} of maintenance notice #{campaign.pk}, for {when}, to its recipients"
        audit.record(notice, actor, audit.Action.SCHEDULED, detail)
        notices.append(notice)
    if notices:
        listed = "; ".join(f"{p.label} ({timezone.localtime(p.at):%d %b %H:%M})" for p in plan)
        audit.record(campaign, actor, audit.Action.MAINTENANCE_SCHEDULED, listed)
    return notices


def maintenance_audience_freeze(campaign: Campaign) -> bool:
    """Just before a notice of a maintenance's schedule starts: its audience becomes exactly the maintenance notice's
    recipients. False (start later) while those are not all known yet or the maintenance notice is paused; a reminder
    whose window already started is cancelled instead (it would remind of what is under way). Others pass untouched."""
    if not campaign.maintenance_step or campaign.parent is None:
        return True
    if campaign.parent.state == Campaign.State.PAUSED:
        return False
    if campaign.maintenance_step == REMINDER and campaign.incident.started_at <= timezone.now():
        Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.CANCELLED)
        audit.record(campaign, None, audit.Action.CANCELLED, "the maintenance window had already started")
        return False
    send = campaign_main_send(campaign.parent)
    if send is None or send.materialized_at is None:
        return False
    campaign.audience = {"clients": campaign_recipient_client_ids(campaign.parent)}
    Campaign.objects.filter(pk=campaign.pk).update(audience=campaign.audience)
    return True

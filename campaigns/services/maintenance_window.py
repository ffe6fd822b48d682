"""Ops move a maintenance window from its notice's page: start it now, complete it now, or extend it.

Each is one transaction on the maintenance notice: the incident's window moves (its public page follows: the
"started" notice publishes *in progress*, "completed" *completed*), the notices its schedule made move with it, and
the one that is due starts at once through schedule.py (the same start as at its time: audience frozen, approval
counted again). Reminders not yet sent are cancelled once the window has started; "started" is cancelled when the
maintenance is completed before it went. Every change is on the notice's record.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Incident, PublicState
from campaigns.selectors.maintenance import COMPLETED, REMINDER, STARTED, maintenance_notices, maintenance_root
from campaigns.services import audit, rules
from campaigns.services.incidents import incident_resolve
from campaigns.services.lifecycle import CampaignActionNotAllowed, campaign_cancel
from campaigns.services.public_cache import public_changed
from campaigns.services.publishing import incident_update_publish
from campaigns.services.schedule import scheduled_start
from campaigns.services.variables import incident_variables


def _root(campaign: Campaign, actor: rules.Actor) -> Campaign:
    rules.require(actor, rules.SEND, "change maintenance windows")
    root = maintenance_root(campaign)
    if root is None:
        raise CampaignActionNotAllowed("This notice is not a planned maintenance.")
    root = Campaign.objects.select_for_update().select_related("incident").get(pk=root.pk)
    if root.state not in (Campaign.State.SENDING, Campaign.State.COMPLETED) or root.incident.status != "open":
        raise CampaignActionNotAllowed(f"A {root.get_state_display()} maintenance cannot be changed.")
    return root


def _window(root: Campaign, **times: datetime) -> Incident:
    """Move the incident's window and carry its times into the scheduled notices' shared values."""
    Incident.objects.filter(pk=root.incident_id).update(**times)
    incident = Incident.objects.get(pk=root.incident_id)
    for notice in maintenance_notices(root).filter(state=Campaign.State.SCHEDULED):
        Campaign.objects.filter(pk=notice.pk).update(variables={**notice.variables, **incident_variables(incident)})
    public_changed()
    return incident


def _pending(root: Campaign, step: str) -> list[Campaign]:
    return list(maintenance_notices(root).filter(maintenance_step=step, state=Campaign.State.SCHEDULED))


def _cancel(root: Campaign, step: str, actor: rules.Actor) -> None:
    for notice in _pending(root, step):
        campaign_cancel(campaign=notice, actor=actor)


def _start(root: Campaign, step: str) -> bool:
    notices = _pending(root, step)
    for notice in notices:
        Campaign.objects.filter(pk=notice.pk).update(send_at=timezone.now())
        scheduled_start(campaign_id=notice.pk)
    return bool(notices)


@transaction.atomic
def maintenance_start_now(*, campaign: Campaign, actor: rules.Actor) -> Campaign:
    """The window starts now: unsent reminders are cancelled, "started" goes at once (or the page says it)."""
    root = _root(campaign, actor)
    if root.incident.started_at > timezone.now():
        _window(root, started_at=timezone.now())
    _cancel(root, REMINDER, actor)
    audit.record(root, rules.person(actor), audit.Action.WINDOW_CHANGED, "started now")
    if not _start(root, STARTED) and root.incident.is_public and root.incident.published_at is not None:
        incident_update_publish(incident=root.incident, state=PublicState.IN_PROGRESS, texts={}, actor=actor)
    return root


@transaction.atomic
def maintenance_complete_now(*, campaign: Campaign, actor: rules.Actor) -> Campaign:
    """The window ends now: what has not gone yet of reminders and "started" is cancelled, "completed" goes at once
    (it resolves the incident); without one, the incident is resolved and its page says *completed*."""
    root = _root(campaign, actor)
    now = timezone.now()
    _window(root, started_at=min(root.incident.started_at, now), expected_resolution_at=now)
    _cancel(root, REMINDER, actor)
    _cancel(root, STARTED, actor)
    audit.record(root, rules.person(actor), audit.Action.WINDOW_CHANGED, "completed now")
    if not _start(root, COMPLETED):
        incident_resolve(incident=root.incident, actor=actor)
    return root


@transaction.atomic
def maintenance_extend(*, campaign: Campaign, end: datetime, actor: rules.Actor) -> Campaign:
    """The window ends later: "completed" moves to the new end (customers read the new end in later notices)."""
    root = _root(campaign, actor)
    incident = root.incident
    if end <= timezone.now() or end <= incident.started_at:
        raise CampaignActionNotAllowed("The new end must be in the future and after the start.")
    if incident.expected_resolution_at is not None and end <= incident.expected_resolution_at:
        raise CampaignActionNotAllowed("To end the window earlier, use Complete now.")
    _window(root, expected_resolution_at=end)
    for notice in _pending(root, COMPLETED):
        Campaign.objects.filter(pk=notice.pk).update(send_at=end)
    local = timezone.localtime(end)
    audit.record(root, rules.person(actor), audit.Action.WINDOW_CHANGED, f"extended to {local:%Y-%m-%d %H:%M %Z}")
    return root

"""Where a notice becomes ``notifications.Send`` rows: its main send, then each reminder. Only the door's services
(door.py, approval.py, schedule.py) call this module; every rule (approval, permissions) was applied before.

A conditional UPDATE on the campaign's state (or, for reminders, on ``next_run_at``) makes each start happen once:
a double click, a second tab, two workers or a repeated task find the row already moved and start nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.utils import timezone

from campaigns.models import Campaign, CampaignSend
from campaigns.selectors.failover import wait_seconds_of
from campaigns.selectors.timing import earlier_send_ids, valid_until_from
from campaigns.services import audit
from campaigns.services.incidents import campaign_sent
from campaigns.services.maintenance import maintenance_schedule
from campaigns.services.publishing import campaign_published
from campaigns.services.reach import Reach, campaign_notice_kind
from campaigns.services.short_links import campaign_send_variables, link_uses
from clients.selectors import audience_queryset
from notifications.content import content_errors
from notifications.models import Send
from notifications.services.sends import send_create
from notifications.services.supersede import messages_supersede


class CampaignAlreadySent(Exception):
    """Another request already moved this notice on; nothing was sent twice."""


class CampaignNotReady(Exception):
    """The notice cannot go out as it is (content errors, nobody to reach, a time already past)."""


def check_ready(campaign: Campaign, reach: Reach) -> None:
    """Refuse a notice whose message has errors or that reaches nobody."""
    errors = content_errors(campaign.content, campaign.channels)
    if errors:
        raise CampaignNotReady("The message has errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    if reach.recipients == 0:
        raise CampaignNotReady("Nobody in the audience can be reached on the chosen channels.")
    if not campaign.incident.is_public and link_uses(campaign.content, list(campaign.channels or [])):
        raise CampaignNotReady("The message has {{ incident_link }}, but the incident's public page is turned off.")


def first_run_at(campaign: Campaign, now: datetime) -> datetime | None:
    """When the main send starts: None for now; a past scheduled time (an approval came late) means now."""
    if campaign.send_mode == Campaign.SendMode.NOW or campaign.send_at is None or campaign.send_at <= now:
        return None
    return campaign.send_at


def supersede_earlier(campaign: Campaign, *, actor: User | None) -> int:
    """An update or resolved notice starting: its people's unsent messages of earlier notices of the incident, on
    its channels, are superseded (they get only this one); recorded in the trail when there were any."""
    send_ids = earlier_send_ids(campaign)
    if not send_ids:
        return 0
    clients = audience_queryset(campaign.audience)
    count = messages_supersede(send_ids=send_ids, channels=list(campaign.channels), clients=clients)
    if count:
        audit.record(campaign, actor, audit.Action.SUPERSEDED, f"{count} unsent message(s) of earlier notices")
    return count


def send_start(campaign: Campaign, *, role: str, actor: User | None, label: str = "") -> Send:
    """Freeze the campaign as it is now (with its short links) into a Send that starts at once, and link it to the
    campaign; the main send supersedes earlier notices' unsent messages (updates, resolved) and publishes the
    notice's update on the incident's public page."""
    if role == CampaignSend.Role.MAIN:
        supersede_earlier(campaign, actor=actor)
    send = send_create(
        label=label or campaign.title,
        channels=list(campaign.channels),
        audience=campaign.audience,
        content=campaign.content,
        fallback_language=campaign.fallback_language,
        variables=campaign_send_variables(campaign),
        notice_kind=campaign_notice_kind(campaign),
        mandatory=campaign.mandatory,
        sms_stop_line=campaign.sms_stop_line,
        reference=f"campaign-{campaign.pk}",
        valid_until=valid_until_from(campaign, timezone.now()),
        pace_per_minute=campaign.pace_per_minute,
        failover=list(campaign.failover or []),
        failover_wait_seconds=wait_seconds_of(campaign),
        created_by=actor,
    )
    CampaignSend.objects.create(campaign=campaign, send=send, role=role)
    if role == CampaignSend.Role.MAIN:
        campaign_published(campaign)
    return send


def _moved(campaign: Campaign, from_state: str, fields: dict[str, Any]) -> None:
    if not Campaign.objects.filter(pk=campaign.pk, state=from_state).update(**fields, updated_at=timezone.now()):
        raise CampaignAlreadySent("This notice was already sent or is no longer waiting.")
    campaign.refresh_from_db()


def campaign_go(campaign: Campaign, *, actor: User | None, from_state: str, reach: Reach) -> Campaign:
    """``from_state`` → scheduled (a later time) or sending (now, with its main send), once."""
    now = timezone.now()
    first_at = first_run_at(campaign, now)
    fields: dict[str, Any] = {
        "state": Campaign.State.SCHEDULED if first_at else Campaign.State.SENDING,
        "audience_size": reach.recipients,
        "wizard_step": "send",
    }
    if from_state == Campaign.State.DRAFT:
        fields["sent_by"] = actor
    if first_at is None:
        fields["sent_at"] = now
    if campaign.send_mode == Campaign.SendMode.REPEAT and campaign.repeat_every_hours:
        fields["next_run_at"] = (first_at or now) + timedelta(hours=campaign.repeat_every_hours)
    _moved(campaign, from_state, fields)
    maintenance_schedule(campaign, actor=actor, first_at=first_at)
    counted = f"{reach.recipients} recipient(s), {reach.messages} message(s)"
    if first_at is not None:
        when = f"{timezone.localtime(first_at):%Y-%m-%d %H:%M %Z}"
        audit.record(campaign, actor, audit.Action.SCHEDULED, f"{counted} now; for {when}, counted again then")
        return campaign
    send = send_start(campaign, role=CampaignSend.Role.MAIN, actor=actor)
    audit.record(campaign, actor, audit.Action.SENT, f"{counted}, sending now (send #{send.pk})")
    campaign_sent(campaign=campaign, actor=actor)
    return campaign


def main_send_start(campaign: Campaign, *, reach: Reach) -> Send:
    """A scheduled notice's time has come: scheduled → sending with its main send, once."""
    fields = {"state": Campaign.State.SENDING, "sent_at": timezone.now(), "audience_size": reach.recipients}
    _moved(campaign, Campaign.State.SCHEDULED, fields)
    send = send_start(campaign, role=CampaignSend.Role.MAIN, actor=campaign.sent_by)
    audit.record(
        campaign,
        None,
        audit.Action.STARTED,
        f"at its scheduled time, to {reach.recipients} recipient(s) (send #{send.pk})",
    )
    campaign_sent(campaign=campaign)
    return send


def next_reminder_after(campaign: Campaign, due_at: datetime, now: datetime) -> datetime | None:
    """The reminder after ``due_at`` (missed ones skipped), or None past ``repeat_until``."""
    step = timedelta(hours=campaign.repeat_every_hours or 0)
    if not step:
        return None
    following = due_at + step
    while following <= now:
        following += step
    return following if campaign.repeat_until and following <= campaign.repeat_until else None


def reminder_start(campaign: Campaign, *, due_at: datetime, reach: Reach) -> Send | None:
    """Start the reminder due at ``due_at``, once: ``next_run_at`` moves on only if it still is ``due_at``."""
    now = timezone.now()
    following = next_reminder_after(campaign, due_at, now)
    if not Campaign.objects.filter(pk=campaign.pk, next_run_at=due_at).update(next_run_at=following):
        return None
    campaign.next_run_at = following
    number = CampaignSend.objects.filter(campaign=campaign, role=CampaignSend.Role.REMINDER).count() + 1
    send = send_start(
        campaign,
        role=CampaignSend.Role.REMINDER,
        actor=campaign.sent_by,
        label=f"{campaign.title} (reminder {number})",
    )
    audit.record(
        campaign,
        None,
        audit.Action.REMINDER_SENT,
        f"reminder {number} to {reach.recipients} recipient(s) (send #{send.pk})",
    )
    return send

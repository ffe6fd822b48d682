"""Test-sending, confirming and approving a notice: where a draft becomes a notifications.Send.

Confirmation freezes the draft's content and audience into a Send. A conditional UPDATE on the campaign's state
(draft → sending/scheduled/awaiting approval) makes a double click, a resubmitted form or a second tab send once:
only the request whose UPDATE changed the row goes on; the others raise ``CampaignAlreadySent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import NOTICE_KIND_FOR, Campaign, CampaignEvent, CampaignSend
from clients.selectors import audience_counts, audience_queryset, exclusion_reason
from notifications.content import content_errors
from notifications.models import Send
from notifications.services.sends import send_create, test_send_create


class CampaignAlreadySent(Exception):
    """Another request already confirmed this notice; nothing was sent twice."""


class CampaignNotReady(Exception):
    """The notice cannot go out as it is (content errors, nobody to reach, a time already past)."""


class ApprovalNotAllowed(Exception):
    """The author of a notice cannot approve it; approval needs a second person."""


@dataclass(frozen=True)
class Reach:
    recipients: int  # distinct clients reachable on at least one chosen channel
    messages: int  # one per client and channel


def campaign_notice_kind(campaign: Campaign) -> str:
    return NOTICE_KIND_FOR.get(campaign.kind, "")


def campaign_reach(campaign: Campaign) -> Reach:
    """How many clients and messages the notice would reach now (two queries, nothing loops over clients)."""
    kind = campaign_notice_kind(campaign)
    counts = audience_counts(campaign.audience, campaign.channels, notice_kind=kind, mandatory=campaign.mandatory)
    reasons = {
        f"reason_{channel}": exclusion_reason(channel, notice_kind=kind, mandatory=campaign.mandatory)
        for channel in campaign.channels
    }
    reachable = Q()
    for name in reasons:
        reachable |= Q(**{name: ""})
    recipients = audience_queryset(campaign.audience).annotate(**reasons).filter(reachable).count() if reasons else 0
    return Reach(recipients=recipients, messages=sum(c.eligible for c in counts.per_channel.values()))


def campaign_needs_approval(campaign: Campaign, reach: Reach) -> bool:
    return reach.recipients > settings.APPROVAL_THRESHOLD and campaign.approved_by_id is None


def _event(campaign: Campaign, actor, action: str, detail: str = "") -> None:
    CampaignEvent.objects.create(
        campaign=campaign, actor=actor if getattr(actor, "pk", None) else None, action=action, detail=detail[:500]
    )


def _check_ready(campaign: Campaign, reach: Reach) -> None:
    errors = content_errors(campaign.content, campaign.channels)
    if errors:
        raise CampaignNotReady("The message has errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    if reach.recipients == 0:
        raise CampaignNotReady("Nobody in the audience can be reached on the chosen channels.")


def _first_run_at(campaign: Campaign, now) -> datetime | None:
    """When the main send starts: None for now; a past scheduled time (an approval came late) means now."""
    if campaign.send_mode == Campaign.SendMode.NOW or campaign.send_at is None or campaign.send_at <= now:
        return None
    return campaign.send_at


def _start(campaign: Campaign, actor, *, role: str = CampaignSend.Role.MAIN, now=None) -> Send:
    """Freeze the campaign into a Send and link it; for reminders, note when the next one is due."""
    now = now or timezone.now()
    scheduled_at = _first_run_at(campaign, now) if role == CampaignSend.Role.MAIN else None
    label = campaign.title if role == CampaignSend.Role.MAIN else f"{campaign.title} (reminder)"
    send = send_create(
        label=label,
        channels=list(campaign.channels),
        audience=campaign.audience,
        content=campaign.content,
        fallback_language=campaign.fallback_language,
        variables=campaign.variables,
        notice_kind=campaign_notice_kind(campaign),
        mandatory=campaign.mandatory,
        sms_stop_line=campaign.sms_stop_line,
        reference=f"campaign-{campaign.pk}",
        scheduled_at=scheduled_at,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    CampaignSend.objects.create(campaign=campaign, send=send, role=role)
    return send


def _go(campaign: Campaign, actor, *, from_state: str, reach: Reach, approver=None) -> Campaign:
    """Move ``from_state`` → sending/scheduled once, then create the Send in the same transaction."""
    now = timezone.now()
    first_at = _first_run_at(campaign, now)
    target = Campaign.State.SCHEDULED if first_at else Campaign.State.SENDING
    fields = {
        "state": target,
        "audience_size": reach.recipients,
        "sent_by": actor,
        "sent_at": now,
        "wizard_step": "send",
    }
    if approver is not None:
        fields["approved_by"] = approver
        fields.pop("sent_by")
        fields.pop("wizard_step")
    if campaign.send_mode == Campaign.SendMode.REPEAT and campaign.repeat_every_hours:
        fields["next_run_at"] = (first_at or now) + timedelta(hours=campaign.repeat_every_hours)
    if not Campaign.objects.filter(pk=campaign.pk, state=from_state).update(**fields, updated_at=now):
        raise CampaignAlreadySent("This notice was already sent or is no longer waiting.")
    campaign.refresh_from_db()
    send = _start(campaign, campaign.sent_by, now=now)
    when = f"scheduled for {first_at:%Y-%m-%d %H:%M %Z}" if first_at else "sending now"
    _event(
        campaign,
        approver or actor,
        "approved" if approver else ("scheduled" if first_at else "sent"),
        f"{reach.recipients} recipient(s), {reach.messages} message(s), {when} (send #{send.pk})",
    )
    from campaigns.services.lifecycle import campaign_sent

    campaign_sent(campaign=campaign, actor=approver or actor)
    return campaign


@transaction.atomic
def campaign_confirm(*, campaign: Campaign, actor) -> Campaign:
    """Send or schedule the notice, or hand it to an approver when the audience is above the threshold."""
    campaign.refresh_from_db()
    if campaign.state != Campaign.State.DRAFT:
        raise CampaignAlreadySent(f"This notice is already {campaign.get_state_display()}.")
    reach = campaign_reach(campaign)
    _check_ready(campaign, reach)
    if campaign.send_mode != Campaign.SendMode.NOW and campaign.send_at and campaign.send_at <= timezone.now():
        raise CampaignNotReady("The scheduled time has passed; choose a new time or send now.")
    if campaign_needs_approval(campaign, reach):
        updated = Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.DRAFT).update(
            state=Campaign.State.AWAITING_APPROVAL,
            audience_size=reach.recipients,
            sent_by=actor,
            wizard_step="send",
            updated_at=timezone.now(),
        )
        if not updated:
            raise CampaignAlreadySent("This notice was already sent.")
        campaign.refresh_from_db()
        _event(
            campaign,
            actor,
            "approval_requested",
            f"{reach.recipients} recipient(s) is above the approval threshold of {settings.APPROVAL_THRESHOLD}",
        )
        return campaign
    return _go(campaign, actor, from_state=Campaign.State.DRAFT, reach=reach)


@transaction.atomic
def campaign_approve(*, campaign: Campaign, actor) -> Campaign:
    """A second person approves a large notice; it goes out (or is scheduled) at once."""
    campaign.refresh_from_db()
    if campaign.state != Campaign.State.AWAITING_APPROVAL:
        raise CampaignAlreadySent(f"This notice is {campaign.get_state_display()}, not awaiting approval.")
    if actor.pk in (campaign.created_by_id, campaign.sent_by_id):
        raise ApprovalNotAllowed("You prepared this notice; another person must approve it.")
    reach = campaign_reach(campaign)
    _check_ready(campaign, reach)
    return _go(campaign, campaign.sent_by, from_state=Campaign.State.AWAITING_APPROVAL, reach=reach, approver=actor)


@transaction.atomic
def campaign_reject(*, campaign: Campaign, actor, reason: str = "") -> Campaign:
    """Send a notice awaiting approval back to draft so its author can change it."""
    if not Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.AWAITING_APPROVAL).update(
        state=Campaign.State.DRAFT, wizard_step="preview", updated_at=timezone.now()
    ):
        raise CampaignAlreadySent("This notice is not awaiting approval.")
    campaign.refresh_from_db()
    _event(campaign, actor, "approval_declined", reason)
    return campaign


@transaction.atomic
def campaign_test_send(*, campaign: Campaign, actor, test_recipient_ids: list[int]) -> Send:
    """Send the draft as it stands to internal test recipients only, through the real dispatch path."""
    errors = content_errors(campaign.content, campaign.channels)
    if errors:
        raise CampaignNotReady("The message has errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    send = test_send_create(
        label=f"[TEST] {campaign.title}",
        channels=list(campaign.channels),
        content=campaign.content,
        fallback_language=campaign.fallback_language,
        variables=campaign.variables,
        test_recipient_ids=list(test_recipient_ids),
        sms_stop_line=campaign.sms_stop_line,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    CampaignSend.objects.create(campaign=campaign, send=send, role=CampaignSend.Role.TEST)
    _event(campaign, actor, "test_sent", f"to {len(test_recipient_ids)} internal recipient(s) (send #{send.pk})")
    return send


def campaign_reminder_start(*, campaign_id: int, due_at, now=None) -> Send | None:
    """Start one reminder of a repeating notice, once: the UPDATE moves next_run_at only if it is still ``due_at``."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.get(pk=campaign_id)
        step = timedelta(hours=campaign.repeat_every_hours or 0)
        following = due_at + step
        while step and following <= now:
            following += step
        next_run = following if step and campaign.repeat_until and following <= campaign.repeat_until else None
        if not Campaign.objects.filter(pk=campaign_id, next_run_at=due_at).update(next_run_at=next_run):
            return None
        send = _start(campaign, campaign.sent_by, role=CampaignSend.Role.REMINDER, now=now)
        _event(campaign, None, "reminder_sent", f"reminder (send #{send.pk})")
        return send

"""Four eyes on large notices: asking for approval, approving, declining with a reason, and the emergency send.

A notice above ``APPROVAL_THRESHOLD`` recipients waits for a second person: one with the approve permission who
neither wrote, confirmed nor edited it (rules.approval_problem). The threshold is checked when the notice is
confirmed and again whenever a send of it starts later (a scheduled start, each reminder), with the recipients
counted then; an approval covers the number of recipients it was given for. Approvers are told by email and see the
notice on the dashboard. An approver may decline with a reason: the draft goes back to its author, who sees why.
Someone with the emergency permission may send without a second person after typing a reason; the approvers are
told at once and the reason stays on the notice's page, in its audit trail and on the dashboard.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignSend
from campaigns.services import audit, mail, rules
from campaigns.services.reach import Reach, campaign_reach
from campaigns.services.starting import CampaignAlreadySent, campaign_go, check_ready, reminder_start

EMERGENCY_REASON_MIN = 10
REASON_MAX = 1000


class ApprovalNotAllowed(rules.NotAllowed):
    """This person may not approve or decline this notice (the message says why)."""


class ReasonRequired(ValueError):
    """A decline or an emergency send needs a reason typed by the person."""


class ApprovalAudienceChanged(Exception):
    """The audience changed since the approver's page opened; they must look again."""


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update(of=("self",)).select_related("created_by", "sent_by").get(pk=campaign.pk)


def _has_main_send(campaign: Campaign) -> bool:
    return CampaignSend.objects.filter(campaign=campaign, role=CampaignSend.Role.MAIN).exists()


def approval_request(campaign: Campaign, *, actor: rules.Actor, reach: Reach, from_state: str, why: str) -> Campaign:
    """``from_state`` → awaiting approval; any earlier approval no longer covers it; approvers are told."""
    asked_by = rules.person(actor)
    fields: dict[str, Any] = {
        "state": Campaign.State.AWAITING_APPROVAL,
        "audience_size": reach.recipients,
        "approved_by": None,
        "approved_at": None,
        "approved_recipients": None,
        "updated_at": timezone.now(),
    }
    if from_state == Campaign.State.DRAFT:
        fields.update(sent_by=asked_by, wizard_step="send")
    if not Campaign.objects.filter(pk=campaign.pk, state=from_state).update(**fields):
        raise CampaignAlreadySent("This notice was already sent or is no longer waiting.")
    campaign.refresh_from_db()
    audit.record(campaign, asked_by, audit.Action.APPROVAL_REQUESTED, why)
    mail.approvers_tell_waiting(campaign, why, asked_by or campaign.sent_by)
    return campaign


def _release(campaign: Campaign, *, actor: rules.Actor, reach: Reach, from_state: str) -> Campaign:
    """Let an approved (or emergency) notice go: its main send, or the reminder that was waiting."""
    if _has_main_send(campaign):
        if not Campaign.objects.filter(pk=campaign.pk, state=from_state).update(state=Campaign.State.SENDING):
            raise CampaignAlreadySent("This notice is no longer waiting.")
        campaign.refresh_from_db()
        if campaign.next_run_at is not None:
            reminder_start(campaign, due_at=campaign.next_run_at, reach=reach)
        return campaign
    return campaign_go(campaign, actor=rules.person(actor), from_state=from_state, reach=reach)


@transaction.atomic
def campaign_approve(*, campaign: Campaign, actor: rules.Actor, expected: int | None = None) -> Campaign:
    """A second person approves a notice awaiting approval; it goes out (or is scheduled) at once."""
    rules.require(actor, rules.APPROVE, "approve notices")
    campaign = _locked(campaign)
    if campaign.state != Campaign.State.AWAITING_APPROVAL:
        raise CampaignAlreadySent(f"This notice is {campaign.get_state_display()}, not awaiting approval.")
    problem = rules.approval_problem(campaign, actor)
    if problem:
        raise ApprovalNotAllowed(problem)
    reach = campaign_reach(campaign)
    if expected is not None and expected != reach.recipients:
        raise ApprovalAudienceChanged(
            f"The audience changed from {expected} to {reach.recipients} recipients since your page opened; "
            "check the new number and approve again."
        )
    check_ready(campaign, reach)
    approver = rules.person(actor)
    Campaign.objects.filter(pk=campaign.pk).update(
        approved_by=approver, approved_at=timezone.now(), approved_recipients=reach.recipients
    )
    campaign.refresh_from_db()
    audit.record(campaign, approver, audit.Action.APPROVED, f"for {reach.recipients} recipient(s)")
    return _release(campaign, actor=approver, reach=reach, from_state=Campaign.State.AWAITING_APPROVAL)


def _reason(text: str, minimum: int = 1) -> str:
    reason = " ".join((text or "").replace("\x00", "").split())[:REASON_MAX]
    if len(reason) < minimum:
        raise ReasonRequired(
            "Say why, in a few words." if minimum <= 1 else f"Type the reason (at least {minimum} characters)."
        )
    return reason


@transaction.atomic
def campaign_decline(*, campaign: Campaign, actor: rules.Actor, reason: str) -> Campaign:
    """Decline a notice awaiting approval, with a reason its author reads; the draft goes back to them.

    A reminder that waited for approval is not sent, and the notice's later reminders are stopped.
    """
    rules.require(actor, rules.APPROVE, "approve or decline notices")
    text = _reason(reason)
    campaign = _locked(campaign)
    if campaign.state != Campaign.State.AWAITING_APPROVAL:
        raise CampaignAlreadySent(f"This notice is {campaign.get_state_display()}, not awaiting approval.")
    problem = rules.approval_problem(campaign, actor)
    if problem:
        raise ApprovalNotAllowed(problem)
    approver = rules.person(actor)
    assert approver is not None  # approval_problem refuses the system
    if _has_main_send(campaign):
        Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.SENDING, next_run_at=None)
        detail = f"{text} (its remaining reminders are stopped)"
    else:
        Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.DRAFT, wizard_step="preview")
        detail = text
    campaign.refresh_from_db()
    audit.record(campaign, approver, audit.Action.APPROVAL_DECLINED, detail)
    mail.author_tell_declined(campaign, approver, text)
    return campaign


def emergency_go(campaign: Campaign, *, actor: rules.Actor, reason: str, reach: Reach, from_state: str) -> Campaign:
    """Send above the threshold without a second person; the caller holds the row (door.campaign_confirm)."""
    rules.require(actor, rules.EMERGENCY, "send in an emergency without approval")
    text = _reason(reason, EMERGENCY_REASON_MIN)
    sender = rules.person(actor)
    Campaign.objects.filter(pk=campaign.pk).update(
        emergency_by=sender,
        emergency_reason=text,
        emergency_at=timezone.now(),
        approved_recipients=reach.recipients,
        audience_size=reach.recipients,
    )
    campaign.refresh_from_db()
    audit.record(
        campaign, sender, audit.Action.EMERGENCY_SEND, f"{reach.recipients} recipient(s) without approval: {text}"
    )
    mail.approvers_tell_emergency(campaign, sender, text, reach.recipients)
    return _release(campaign, actor=sender, reach=reach, from_state=from_state)


@transaction.atomic
def campaign_emergency_send(*, campaign: Campaign, actor: rules.Actor, reason: str) -> Campaign:
    """An incident lead sends a notice that waits for approval, now, without a second person."""
    rules.require(actor, rules.EMERGENCY, "send in an emergency without approval")
    campaign = _locked(campaign)
    if campaign.state != Campaign.State.AWAITING_APPROVAL:
        raise CampaignAlreadySent(f"This notice is {campaign.get_state_display()}, not awaiting approval.")
    reach = campaign_reach(campaign)
    check_ready(campaign, reach)
    return emergency_go(campaign, actor=actor, reason=reason, reach=reach, from_state=Campaign.State.AWAITING_APPROVAL)

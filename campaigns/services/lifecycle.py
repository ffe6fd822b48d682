"""A notice's life after it was confirmed: pause, resume and cancel it as a whole (main send and reminders) or one
send at a time, retry its failures, reopen a scheduled notice for changes.

Each action delegates the message work to ``notifications.services.sends`` and writes one audit event, so the trail
says who did what and when. A paused notice starts no reminder; a cancelled one never sends again.
"""

from __future__ import annotations

from django.db import transaction

from campaigns.models import Campaign, CampaignSend
from campaigns.selectors.maintenance import maintenance_pending
from campaigns.selectors.messages import retry_states
from campaigns.selectors.state import ACTIVE_SEND_STATES, NoticeActions, campaign_main_send, notice_actions
from campaigns.services import audit, rules
from notifications.models import Send
from notifications.services.sends import send_cancel, send_pause, send_resume, send_retry_failed


class CampaignActionNotAllowed(Exception):
    """The action does not apply to the notice in its current state."""


def _locked(campaign: Campaign) -> tuple[Campaign, NoticeActions]:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    return campaign, notice_actions(campaign)


def _sends(campaign: Campaign, states: tuple[str, ...]) -> list[Send]:
    """The notice's real sends (main and reminders, never tests) in ``states``."""
    return list(
        Send.objects.filter(
            campaign_link__campaign=campaign,
            campaign_link__role__in=(CampaignSend.Role.MAIN, CampaignSend.Role.REMINDER),
            state__in=states,
        ).order_by("pk")
    )


def _refuse(campaign: Campaign, action: str) -> CampaignActionNotAllowed:
    return CampaignActionNotAllowed(f"A {campaign.get_state_display()} notice cannot be {action}.")


@transaction.atomic
def campaign_pause(*, campaign: Campaign, actor: rules.Actor = None) -> Campaign:
    """Hold the whole notice: its sends stop handing messages to the provider, and no reminder starts."""
    rules.require(actor, rules.SEND, "pause notices")
    campaign, actions = _locked(campaign)
    if not actions.pause:
        raise _refuse(campaign, "paused")
    Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.SENDING).update(state=Campaign.State.PAUSED)
    paused = [send_pause(send=send) for send in _sends(campaign, ACTIVE_SEND_STATES)]
    held = " and its reminders are held" if campaign.next_run_at else ""
    campaign.refresh_from_db()
    audit.record(campaign, rules.person(actor), audit.Action.PAUSED, f"{len(paused)} send(s) paused{held}")
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign, actor: rules.Actor = None) -> Campaign:
    """Carry on: every paused send of the notice resumes where it stopped, and reminders start again when due."""
    rules.require(actor, rules.SEND, "resume notices")
    campaign, actions = _locked(campaign)
    if not actions.resume:
        raise _refuse(campaign, "resumed")
    Campaign.objects.filter(pk=campaign.pk, state=Campaign.State.PAUSED).update(state=Campaign.State.SENDING)
    resumed = [send_resume(send=send) for send in _sends(campaign, (Send.State.PAUSED,))]
    campaign.refresh_from_db()
    audit.record(campaign, rules.person(actor), audit.Action.RESUMED, f"{len(resumed)} send(s) resumed")
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, actor: rules.Actor = None) -> Campaign:
    """Cancel the notice: a draft or a waiting notice never goes out; started sends stop (unsent messages become
    cancelled), and no reminder follows; a maintenance notice's scheduled reminders and started/completed notices
    are cancelled with it."""
    rules.require(actor, rules.SEND, "cancel notices")
    campaign, actions = _locked(campaign)
    if not actions.cancel:
        raise _refuse(campaign, "cancelled")
    stopped = [send_cancel(send=send) for send in _sends(campaign, (*ACTIVE_SEND_STATES, Send.State.PAUSED))]
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.CANCELLED, next_run_at=None)
    campaign.refresh_from_db()
    audit.record(campaign, rules.person(actor), audit.Action.CANCELLED, f"{len(stopped)} send(s) stopped")
    for notice in maintenance_pending(campaign):
        campaign_cancel(campaign=notice, actor=actor)
    return campaign


def _one_send(campaign: Campaign, send_id: int) -> tuple[Send, str]:
    link = (
        CampaignSend.objects.select_related("send")
        .filter(campaign=campaign, send_id=send_id, role__in=(CampaignSend.Role.MAIN, CampaignSend.Role.REMINDER))
        .first()
    )
    if link is None:
        raise CampaignActionNotAllowed("That send is not one of this notice's.")
    return link.send, f"{link.get_role_display()} (send #{send_id})"


@transaction.atomic
def campaign_send_pause(*, campaign: Campaign, send_id: int, actor: rules.Actor = None) -> Send:
    """Pause one send of the notice (its main send or one reminder); the others carry on."""
    rules.require(actor, rules.SEND, "pause sends")
    send, name = _one_send(campaign, send_id)
    if send.state not in ACTIVE_SEND_STATES:
        raise CampaignActionNotAllowed(f"This send is {send.get_state_display()}; it cannot be paused.")
    send_pause(send=send)
    audit.record(campaign, rules.person(actor), audit.Action.SEND_PAUSED, name)
    return send


@transaction.atomic
def campaign_send_resume(*, campaign: Campaign, send_id: int, actor: rules.Actor = None) -> Send:
    """Resume one paused send; while the whole notice is paused, resume the notice instead."""
    rules.require(actor, rules.SEND, "resume sends")
    send, name = _one_send(campaign, send_id)
    campaign.refresh_from_db()
    if campaign.state == Campaign.State.PAUSED:
        raise CampaignActionNotAllowed("The whole notice is paused; resume the notice.")
    if send.state != Send.State.PAUSED:
        raise CampaignActionNotAllowed(f"This send is {send.get_state_display()}, not paused.")
    send_resume(send=send)
    audit.record(campaign, rules.person(actor), audit.Action.SEND_RESUMED, name)
    return send


@transaction.atomic
def campaign_send_cancel(*, campaign: Campaign, send_id: int, actor: rules.Actor = None) -> Send:
    """Cancel one send of the notice: its unsent messages become cancelled; the notice and its reminders go on."""
    rules.require(actor, rules.SEND, "cancel sends")
    send, name = _one_send(campaign, send_id)
    if send.state in (Send.State.COMPLETED, Send.State.CANCELLED):
        raise CampaignActionNotAllowed(f"This send is already {send.get_state_display()}.")
    send_cancel(send=send)
    audit.record(campaign, rules.person(actor), audit.Action.SEND_CANCELLED, name)
    return send


@transaction.atomic
def campaign_retry_failed(*, campaign: Campaign, actor: rules.Actor = None, include: tuple[str, ...] = ()) -> int:
    """Put the notice's failed and expired messages back in the queue; returns how many will be sent again.

    Rejected and undeliverable messages are retried only when named in ``include``. Delivered and accepted
    messages are never resent: only rows in a failure state move, and ``send_retry_failed`` moves them.
    """
    rules.require(actor, rules.SEND, "retry failed messages")
    states = retry_states(include)
    send = campaign_main_send(campaign)
    campaign.refresh_from_db()
    if send is None or campaign.state == Campaign.State.CANCELLED:
        raise CampaignActionNotAllowed("Only a notice that was sent can retry its failures.")
    count = send_retry_failed(send=send, states=states)
    detail = f"{count} message(s) queued again ({', '.join(states)})"
    audit.record(campaign, rules.person(actor), audit.Action.RETRIED, detail)
    return count


@transaction.atomic
def campaign_reopen(*, campaign: Campaign, actor: rules.Actor) -> Campaign:
    """Take a scheduled notice back to a draft to change it; an edit then voids any approval it had."""
    rules.require(actor, rules.SEND, "change scheduled notices")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    rules.require_editor(campaign, actor)
    if campaign.state != Campaign.State.SCHEDULED or campaign_main_send(campaign) is not None:
        raise _refuse(campaign, "changed")
    Campaign.objects.filter(pk=campaign.pk).update(state=Campaign.State.DRAFT, next_run_at=None, wizard_step="send")
    maintenance_pending(campaign).update(state=Campaign.State.DISCARDED)  # scheduled again when confirmed again
    campaign.refresh_from_db()
    audit.record(campaign, rules.person(actor), audit.Action.REOPENED, "back to draft; not scheduled until confirmed")
    return campaign

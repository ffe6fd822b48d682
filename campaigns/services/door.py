"""THE door: every way a notice starts goes through here — the outage form, ``manage.py notify``, the monitoring
API, Alertmanager routes — and so do reminders, follow-ups and retries through the services this one calls.

``notice_submit`` records a complete notice (a ``Campaign`` with its source: web, command line, API, alert) for the
interfaces that describe one in a single call; the outage form builds its draft step by step (drafts.py) instead.
``campaign_confirm`` is where any draft is sent: the same checks for everyone (content, somebody to reach, clients'
muted kinds unless mandatory, the approval threshold, the emergency path), one audit event, then the send starts
(starting.py) or waits for a second person (approval.py). ``campaign_test_send`` sends the draft as it stands to
internal recipients, within a per-person limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignSend, Incident, IncidentKind, MessageTemplate
from campaigns.services import approval, audit, drafts, rules
from campaigns.services.reach import approval_needed, campaign_reach
from campaigns.services.short_links import campaign_send_variables
from campaigns.services.starting import CampaignAlreadySent, CampaignNotReady, campaign_go, check_ready
from notifications.content import content_errors
from notifications.models import Send
from notifications.services.sends import test_send_create


class TestSendLimited(Exception):
    """This person made as many test sends as the window allows; the message says when the next one is possible."""

    __test__ = False


@dataclass(frozen=True)
class Origin:
    """Who asked, through which interface: the notice's source, its detail, and the person if there is one."""

    source: str
    detail: str = ""
    actor: User | None = None


@dataclass
class NoticeSpec:
    """A whole notice, as the command line, the API and alert routes describe it in one call."""

    title: str
    audience: dict[str, Any]
    channels: list[str]
    kind: str = IncidentKind.OUTAGE
    content: dict[str, Any] | None = None
    template: MessageTemplate | None = None
    variables: dict[str, str] = field(default_factory=dict)
    mandatory: bool = False
    send_at: datetime | None = None
    incident: Incident | None = None
    incident_fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Submitted:
    campaign: Campaign
    confirmed: bool = False
    problem: str = ""


def notice_submit(
    *, spec: NoticeSpec, origin: Origin, confirm: bool = False, emergency_reason: str | None = None
) -> Submitted:
    """Record the notice as a draft and, when asked, confirm it through ``campaign_confirm``.

    A notice that cannot go out as it is stays a draft for a person to finish in the outage form; ``problem``
    says why. Permissions of a person (``origin.actor``) are checked as in the portal.
    """
    rules.require(origin.actor, rules.ADD, "prepare notices")
    campaign = drafts.campaign_draft_create(
        incident=spec.incident,
        incident_fields=spec.incident_fields,
        kind=spec.kind,
        title=spec.title,
        audience=spec.audience,
        channels=spec.channels,
        template=spec.template,
        content=spec.content,
        variables=spec.variables,
        mandatory=spec.mandatory,
        send_at=spec.send_at,
        created_by=origin.actor,
        source=origin.source,
        source_detail=origin.detail,
    )
    if not confirm:
        return Submitted(campaign=campaign)
    try:
        campaign = campaign_confirm(campaign=campaign, actor=origin.actor, emergency_reason=emergency_reason)
    except (CampaignNotReady, CampaignAlreadySent, approval.ReasonRequired) as error:
        campaign.refresh_from_db()
        return Submitted(campaign=campaign, problem=str(error))
    return Submitted(campaign=campaign, confirmed=True)


@transaction.atomic
def campaign_confirm(*, campaign: Campaign, actor: rules.Actor, emergency_reason: str | None = None) -> Campaign:
    """Send or schedule a draft, or hand it to an approver above the threshold.

    ``emergency_reason`` (not None) asks to send above the threshold without a second person: it needs the
    emergency permission and a typed reason (``approval.ReasonRequired`` otherwise). Below the threshold it is moot.
    """
    rules.require(actor, rules.SEND, "send notices")
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.state != Campaign.State.DRAFT:
        raise CampaignAlreadySent(f"This notice is already {campaign.get_state_display()}.")
    reach = campaign_reach(campaign)
    check_ready(campaign, reach)
    if campaign.send_mode != Campaign.SendMode.NOW and campaign.send_at and campaign.send_at <= timezone.now():
        raise CampaignNotReady("The scheduled time has passed; choose a new time or send now.")
    if approval_needed(campaign, reach):
        if emergency_reason is not None:
            return approval.emergency_go(
                campaign, actor=actor, reason=emergency_reason, reach=reach, from_state=Campaign.State.DRAFT
            )
        why = f"{reach.recipients} recipient(s) is above the approval threshold of {settings.APPROVAL_THRESHOLD}."
        return approval.approval_request(campaign, actor=actor, reach=reach, from_state=Campaign.State.DRAFT, why=why)
    return campaign_go(campaign, actor=rules.person(actor), from_state=Campaign.State.DRAFT, reach=reach)


def test_send_next_allowed(user: User, now: datetime | None = None) -> datetime | None:
    """When ``user`` may make their next test send: None if now, else the moment the oldest one leaves the window."""
    now = now or timezone.now()
    window = timedelta(seconds=settings.TEST_SEND_WINDOW_SECONDS)
    recent = list(
        Send.objects.filter(is_test=True, created_by=user, created_at__gt=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: settings.TEST_SEND_LIMIT]
    )
    if len(recent) < settings.TEST_SEND_LIMIT:
        return None
    return recent[-1] + window


test_send_next_allowed.__test__ = False  # type: ignore[attr-defined]


@transaction.atomic
def campaign_test_send(*, campaign: Campaign, actor: rules.Actor, test_recipient_ids: list[int]) -> Send:
    """Send the draft as it stands to internal test recipients only, through the real dispatch path.

    Each person may make ``TEST_SEND_LIMIT`` test sends per ``TEST_SEND_WINDOW_SECONDS`` (real SMS cost money and
    land on colleagues' phones); the system (command line without a portal user) is not limited.
    """
    rules.require(actor, rules.TEST_SEND, "send tests")
    user = rules.person(actor)
    if user is not None:
        User.objects.select_for_update().filter(pk=user.pk).first()  # one test send at a time per person
        next_at = test_send_next_allowed(user)
        if next_at is not None:
            local = timezone.localtime(next_at)
            raise TestSendLimited(
                f"You made {settings.TEST_SEND_LIMIT} test sends in the last "
                f"{settings.TEST_SEND_WINDOW_SECONDS // 60} minutes, the limit; the next one is possible at "
                f"{local:%H:%M} ({local.tzname()})."
            )
    errors = content_errors(campaign.content, campaign.channels)
    if errors:
        raise CampaignNotReady("The message has errors: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    send = test_send_create(
        label=f"[TEST] {campaign.title}",
        channels=list(campaign.channels),
        content=campaign.content,
        fallback_language=campaign.fallback_language,
        variables=campaign_send_variables(campaign, is_test=True),
        test_recipient_ids=list(test_recipient_ids),
        sms_stop_line=campaign.sms_stop_line,
        created_by=user,
    )
    CampaignSend.objects.create(campaign=campaign, send=send, role=CampaignSend.Role.TEST)
    audit.record(
        campaign, user, audit.Action.TEST_SENT, f"to {len(test_recipient_ids)} internal recipient(s) (send #{send.pk})"
    )
    return send


campaign_test_send.__test__ = False  # type: ignore[attr-defined]

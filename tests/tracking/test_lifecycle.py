"""Pause, resume, cancel, retry and follow-up services: each writes an audit event and never resends delivered."""

import pytest
from django.db.models import Count

from campaigns.models import Campaign, CampaignEvent, Incident, IncidentKind
from campaigns.services import followups, incidents, lifecycle
from notifications.models import Message, Send
from tests.factories import UserFactory
from tests.tracking.factories import CampaignFactory, add_messages, campaign_with_send

pytestmark = pytest.mark.django_db

S = Message.State


@pytest.fixture
def ops():
    return UserFactory(username="olivia", groups=["Ops"])


def actions(campaign):
    return list(CampaignEvent.objects.filter(campaign=campaign).values_list("action", flat=True))


def test_pause_and_resume_move_the_send_and_are_recorded(ops, django_capture_on_commit_callbacks):
    """Pausing a sending notice pauses its send; resuming carries on; both are in the audit trail."""
    campaign, send = campaign_with_send(send_state=Send.State.SENDING)
    add_messages(send, {S.DELIVERED: 1, S.PENDING: 2})
    lifecycle.campaign_pause(campaign=campaign, actor=ops)
    send.refresh_from_db()
    assert send.state == Send.State.PAUSED
    with pytest.raises(lifecycle.CampaignActionNotAllowed):
        lifecycle.campaign_pause(campaign=campaign, actor=ops)
    with django_capture_on_commit_callbacks(execute=False):
        lifecycle.campaign_resume(campaign=campaign, actor=ops)
    send.refresh_from_db()
    assert send.state == Send.State.SENDING
    assert actions(campaign) == ["paused", "resumed"]
    assert CampaignEvent.objects.filter(campaign=campaign, actor=ops).count() == 2


def test_cancel_stops_pending_messages_and_keeps_delivered(ops):
    """Cancelling turns pending messages into cancelled ones and leaves delivered messages alone."""
    campaign, send = campaign_with_send(send_state=Send.State.SENDING)
    add_messages(send, {S.DELIVERED: 2, S.PENDING: 3})
    lifecycle.campaign_cancel(campaign=campaign, actor=ops)
    send.refresh_from_db()
    campaign.refresh_from_db()
    assert send.state == Send.State.CANCELLED and campaign.state == Campaign.State.CANCELLED
    states = dict(send.messages.values_list("state").annotate(n=Count("id")).order_by())
    assert states == {S.DELIVERED: 2, S.CANCELLED: 3}
    assert actions(campaign) == ["cancelled"]
    with pytest.raises(lifecycle.CampaignActionNotAllowed):
        lifecycle.campaign_cancel(campaign=campaign, actor=ops)


def test_cancel_a_draft_without_send(ops):
    """A draft can be cancelled; it has no send to stop."""
    draft = CampaignFactory(state=Campaign.State.DRAFT)
    lifecycle.campaign_cancel(campaign=draft, actor=ops)
    draft.refresh_from_db()
    assert draft.state == Campaign.State.CANCELLED


def test_retry_requeues_failed_and_expired_only_by_default(ops, django_capture_on_commit_callbacks):
    """A retry puts failed and expired messages back to pending; delivered, accepted, rejected stay as they are."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {S.DELIVERED: 3, S.ACCEPTED: 1, S.FAILED: 2, S.EXPIRED: 1, S.REJECTED: 1, S.UNDELIVERABLE: 1})
    with django_capture_on_commit_callbacks(execute=False):
        count = lifecycle.campaign_retry_failed(campaign=campaign, actor=ops)
    assert count == 3
    states = sorted(send.messages.values_list("state", flat=True))
    assert states.count(S.PENDING) == 3
    assert states.count(S.DELIVERED) == 3 and states.count(S.ACCEPTED) == 1
    assert states.count(S.REJECTED) == 1 and states.count(S.UNDELIVERABLE) == 1
    assert actions(campaign) == ["retried"]


def test_retry_with_explicit_choice_includes_rejected_and_undeliverable(ops, django_capture_on_commit_callbacks):
    """Rejected and undeliverable messages are retried when asked for; delivered ones never are."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    delivered = add_messages(send, {S.DELIVERED: 2})
    add_messages(send, {S.REJECTED: 1, S.UNDELIVERABLE: 2})
    with django_capture_on_commit_callbacks(execute=False):
        count = lifecycle.campaign_retry_failed(
            campaign=campaign, actor=ops, include=("rejected", "undeliverable", "delivered")
        )
    assert count == 3
    assert set(Message.objects.filter(pk__in=[m.pk for m in delivered]).values_list("state", flat=True)) == {
        S.DELIVERED
    }


def test_follow_up_reaches_exactly_the_parents_recipients(ops):
    """A resolved follow-up is a draft of the same incident whose audience is the parent's actual recipients."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED, kind=IncidentKind.OUTAGE)
    reached = add_messages(send, {S.DELIVERED: 3, S.UNDELIVERABLE: 1})
    add_messages(send, {S.DELIVERED: 1}, channel="email", clients=[reached[0].client])
    add_messages(send, {S.SKIPPED: 2})
    draft = followups.campaign_follow_up(campaign=campaign, kind="resolved", actor=ops)
    assert draft.state == Campaign.State.DRAFT
    assert draft.parent == campaign and draft.incident == campaign.incident
    assert draft.kind == IncidentKind.RESOLVED
    assert draft.audience == {"clients": sorted(m.client_id for m in reached)}
    assert draft.channels == campaign.channels
    assert "follow_up_drafted" in actions(campaign)
    assert "drafted" in actions(draft)


def test_follow_up_refused_before_sending(ops):
    """A draft cannot be followed up, nor can a follow-up be of another kind than update or resolved."""
    draft = CampaignFactory(state=Campaign.State.DRAFT)
    with pytest.raises(lifecycle.CampaignActionNotAllowed):
        followups.campaign_follow_up(campaign=draft, kind="update", actor=ops)
    campaign, _ = campaign_with_send(send_state=Send.State.COMPLETED)
    with pytest.raises(lifecycle.CampaignActionNotAllowed):
        followups.campaign_follow_up(campaign=campaign, kind="outage", actor=ops)


def test_sending_a_resolved_notice_resolves_its_incident(ops):
    """Once a resolved notice goes out, its incident is resolved, once, with an audit event."""
    campaign, _ = campaign_with_send(send_state=Send.State.SENDING, kind=IncidentKind.RESOLVED)
    incidents.campaign_sent(campaign=campaign, actor=ops)
    incidents.campaign_sent(campaign=campaign, actor=ops)
    campaign.incident.refresh_from_db()
    assert campaign.incident.status == Incident.Status.RESOLVED and campaign.incident.resolved_at
    assert actions(campaign) == ["incident_resolved"]


def test_sending_an_update_leaves_the_incident_open(ops):
    """An update notice does not close its incident."""
    campaign, _ = campaign_with_send(send_state=Send.State.SENDING, kind=IncidentKind.UPDATE)
    incidents.campaign_sent(campaign=campaign, actor=ops)
    campaign.incident.refresh_from_db()
    assert campaign.incident.status == Incident.Status.OPEN

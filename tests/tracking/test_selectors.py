"""Campaign state and progress are read from the campaign's sends; test sends never count."""

import pytest

from campaigns.models import Campaign, CampaignSend
from campaigns.selectors import dashboard, messages, state
from campaigns.selectors import progress as progress_selectors
from notifications.models import Message, Send
from tests.tracking.factories import CampaignFactory, add_messages, campaign_with_send

pytestmark = pytest.mark.django_db

S = Message.State


def test_progress_counts_per_state_and_channel():
    """Progress groups the main send's messages by state and by channel."""
    campaign, send = campaign_with_send()
    add_messages(send, {S.DELIVERED: 3, S.ACCEPTED: 1, S.PENDING: 2, S.SKIPPED: 1}, channel="sms")
    add_messages(send, {S.DELIVERED: 1, S.REJECTED: 1}, channel="email")
    progress = progress_selectors.campaign_progress(campaign)
    assert progress.by_state == {S.DELIVERED: 4, S.ACCEPTED: 1, S.PENDING: 2, S.SKIPPED: 1, S.REJECTED: 1}
    assert progress.by_channel["sms"] == {S.DELIVERED: 3, S.ACCEPTED: 1, S.PENDING: 2, S.SKIPPED: 1}
    assert progress.by_channel["email"] == {S.DELIVERED: 1, S.REJECTED: 1}
    assert (progress.total, progress.to_send, progress.done, progress.failed) == (9, 8, 5, 1)
    assert progress.delivered_share == pytest.approx(4 / 8)
    assert progress.is_complete is False


def test_test_sends_are_excluded_from_progress():
    """Messages of a test send never appear in the campaign's totals."""
    campaign, send = campaign_with_send()
    add_messages(send, {S.DELIVERED: 2})
    _, test_send = campaign_with_send(campaign=campaign, role=CampaignSend.Role.TEST)
    add_messages(test_send, {S.DELIVERED: 5, S.FAILED: 1})
    progress = progress_selectors.campaign_progress(campaign)
    assert progress.total == 2 and progress.failed == 0
    assert [s.pk for s in state.campaign_test_sends(campaign)] == [test_send.pk]


def test_progress_is_complete_once_every_message_settled():
    """A send whose messages are all final reads as complete at 100%, skipped rows aside."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {S.DELIVERED: 3, S.UNDELIVERABLE: 1, S.SKIPPED: 2})
    progress = progress_selectors.campaign_progress(campaign)
    assert progress.is_complete is True
    assert progress.done_share == 1.0


def test_completed_send_with_accepted_messages_still_waits_for_reports():
    """A send marked completed keeps polling while accepted messages await their delivery report."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {S.DELIVERED: 3, S.ACCEPTED: 1})
    assert progress_selectors.campaign_progress(campaign).is_complete is False


@pytest.mark.parametrize(
    ("send_state", "shown"),
    [
        (Send.State.SCHEDULED, Campaign.State.SCHEDULED),
        (Send.State.QUEUED, Campaign.State.SENDING),
        (Send.State.SENDING, Campaign.State.SENDING),
        (Send.State.PAUSED, Campaign.State.PAUSED),
        (Send.State.COMPLETED, Campaign.State.COMPLETED),
        (Send.State.CANCELLED, Campaign.State.CANCELLED),
    ],
)
def test_campaign_state_follows_its_main_send(send_state, shown):
    """The state shown comes from the main send, whatever the campaign row says."""
    campaign, _ = campaign_with_send(send_state=send_state)
    assert state.campaign_state(campaign) == shown
    assert list(state.campaign_list_queryset(state=shown)) == [campaign]


def test_campaign_without_send_shows_its_own_state():
    """Drafts and notices awaiting approval have no send; their own state shows and filters."""
    draft = CampaignFactory(state=Campaign.State.DRAFT)
    waiting = CampaignFactory(state=Campaign.State.AWAITING_APPROVAL)
    assert state.campaign_state(draft) == Campaign.State.DRAFT
    assert list(state.campaign_list_queryset(state="awaiting_approval")) == [waiting]


def test_list_search_matches_title_and_incident():
    """Search finds notices by their title or their incident's title, and filters by kind."""
    a = CampaignFactory(title="Fibre cut in Lyon")
    b = CampaignFactory(title="Update", incident__title="Mobile data Paris")
    assert list(state.campaign_list_queryset(search="lyon")) == [a]
    assert list(state.campaign_list_queryset(search="paris")) == [b]
    assert list(state.campaign_list_queryset(kind="maintenance")) == []


def test_failure_groups_by_state_and_reason():
    """Failures group by state and provider reason; only failed and expired retry by default."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {S.UNDELIVERABLE: 3, S.REJECTED: 2, S.FAILED: 1, S.DELIVERED: 4, S.EXPIRED: 1})
    groups = {(g.state, g.reason): g for g in messages.send_failure_groups(send)}
    assert groups[(S.UNDELIVERABLE, "UNDELIVERABLE_NOT_DELIVERED")].count == 3
    assert groups[(S.REJECTED, "REJECTED_DESTINATION")].count == 2
    assert groups[(S.FAILED, "engine")].retry_by_default is True
    assert groups[(S.REJECTED, "REJECTED_DESTINATION")].retry_by_default is False
    assert messages.retry_candidates(send) == 2
    assert messages.retry_candidates(send, ["rejected", "undeliverable"]) == 7


def test_recipient_ids_exclude_skipped_and_cancelled():
    """A follow-up's audience is the clients who had a message sent, not those skipped or cancelled."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    kept = add_messages(send, {S.DELIVERED: 2, S.UNDELIVERABLE: 1})
    add_messages(send, {S.SKIPPED: 2, S.CANCELLED: 1})
    assert messages.campaign_recipient_client_ids(campaign) == sorted(m.client_id for m in kept)


def test_timeline_is_cumulative():
    """The chart series count accepted and delivered messages cumulatively per bucket."""
    campaign, send = campaign_with_send()
    add_messages(send, {S.DELIVERED: 3, S.ACCEPTED: 2, S.PENDING: 1})
    timeline = progress_selectors.send_timeline(send)
    assert timeline["unit"] == "second"
    assert timeline["accepted"][-1] == 5
    assert timeline["delivered"][-1] == 3
    assert len(timeline["labels"]) == len(timeline["accepted"]) == 2


def test_dashboard_lists_active_scheduled_and_delivery_rate():
    """The dashboard splits notices into sending, scheduled and finished, with the finished ones' delivery rate."""
    active, active_send = campaign_with_send(send_state=Send.State.SENDING)
    add_messages(active_send, {S.PENDING: 1})
    scheduled, _ = campaign_with_send(send_state=Send.State.SCHEDULED)
    done, done_send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(done_send, {S.DELIVERED: 3, S.UNDELIVERABLE: 1})
    data = dashboard.dashboard_data()
    assert [c.pk for c in data["active"]] == [active.pk]
    assert [c.pk for c in data["scheduled"]] == [scheduled.pk]
    assert [c.pk for c in data["finished"]] == [done.pk]
    assert data["delivery_rate"] == pytest.approx(0.75)
    assert data["counts"]["open_incidents"] == 3

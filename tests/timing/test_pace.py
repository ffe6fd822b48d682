"""Pace: the When step sets "at most N messages per minute" (bad values re-render beside the field), the send
carries it, the Send step shows the estimated finish, and the estimate and expected-progress arithmetic."""

from datetime import UTC, datetime, timedelta

import pytest
import redis
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.selectors.messages import campaign_main_send
from campaigns.selectors.pace import pace_duration, pace_expected, pace_finish, pace_rows
from campaigns.services import door
from campaigns.templatetags.tracking import duration_text
from notifications.models import Message, Send
from notifications.selectors import Progress
from notifications.services import ratelimit
from tests.factories import ClientFactory
from tests.fixtures.worker import redis_url
from tests.wizard.factories import CampaignFactory, content_for

START = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def when_url(campaign):
    return reverse("campaigns:wizard", args=[campaign.pk, "when"])


@pytest.mark.django_db
def test_when_step_saves_the_pace(client, ops):
    campaign = CampaignFactory(wizard_step="when")
    assert "At most (messages per minute)" in client.get(when_url(campaign)).content.decode()
    response = client.post(
        when_url(campaign), {"send_mode": "now", "pace_per_minute": "120", "tz": "UTC", "_next": "1"}
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.pace_per_minute == 120
    client.post(when_url(campaign), {"send_mode": "now", "pace_per_minute": "", "tz": "UTC", "_next": "1"})
    campaign.refresh_from_db()
    assert campaign.pace_per_minute is None


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["0", "1", "-5", "100001", "fast", "2.5"])
def test_when_step_refuses_a_bad_pace_beside_the_field(client, ops, value):
    campaign = CampaignFactory(wizard_step="when")
    response = client.post(
        when_url(campaign), {"send_mode": "now", "pace_per_minute": value, "tz": "UTC", "_next": "1"}
    )
    assert response.status_code == 200 and "pace_per_minute" in response.context["form"].errors
    assert 'id="id_pace_per_minute"' in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.pace_per_minute is None


@pytest.mark.django_db
def test_the_send_carries_the_pace_and_the_send_step_shows_the_finish(client, ops):
    for i in range(3):
        ClientFactory(phone=f"+4479000000{i:02d}")
    campaign = CampaignFactory(content=content_for("en"), channels=["sms"], pace_per_minute=2, wizard_step="send")
    page = client.get(reverse("campaigns:wizard", args=[campaign.pk, "send"])).content.decode()
    assert 'id="pace-estimate"' in page and "about 2 min for 3 people" in page
    campaign = door.campaign_confirm(campaign=campaign, actor=ops)
    assert campaign.state == Campaign.State.SENDING
    assert campaign_main_send(campaign).pace_per_minute == 2


def test_estimate_arithmetic():
    assert pace_duration(1000, None) is None and pace_duration(0, 100) is None
    assert pace_duration(60, 120) == timedelta(seconds=30)
    assert pace_duration(1000, 100) == timedelta(minutes=10)
    assert pace_duration(7, 3) == timedelta(seconds=140)  # rounded up to the second
    assert pace_finish(90_000, 600, START) == START + timedelta(hours=2, minutes=30)
    assert pace_finish(10, None, START) is None
    assert [duration_text(timedelta(seconds=s)) for s in (30, 60, 61, 3600, 9000)] == [
        "30 s",
        "1 min",
        "2 min",
        "1 h 0 min",
        "2 h 30 min",
    ]


def test_expected_progress_arithmetic():
    assert pace_expected(100, 60, START, START + timedelta(seconds=30)) == 30
    assert pace_expected(100, 60, START, START + timedelta(minutes=5)) == 100  # never more than the total
    assert pace_expected(100, 60, START, START - timedelta(seconds=5)) == 0
    assert pace_expected(100, None, START, START) is None and pace_expected(100, 60, None, START) is None
    send = Send(pace_per_minute=120, started_at=START)
    progress = Progress(
        send_id=1,
        by_channel={
            "sms": {Message.State.DELIVERED: 40, Message.State.PENDING: 55, Message.State.SKIPPED: 5},
            "email": {Message.State.ACCEPTED: 10, Message.State.SENDING: 2},
        },
    )
    rows = pace_rows(send, progress, START + timedelta(seconds=15))
    assert [(r.channel, r.total, r.expected, r.actual) for r in rows] == [("email", 12, 12, 10), ("sms", 95, 30, 40)]
    assert pace_rows(Send(pace_per_minute=None, started_at=START), progress, START) == []


def test_batch_size_is_about_a_second_of_the_pace():
    assert ratelimit.pace_batch_size(None, 1000) == 1000
    assert ratelimit.pace_batch_size(120, 1000) == 2
    assert ratelimit.pace_batch_size(30, 1000) == 1
    assert ratelimit.pace_batch_size(600_000, 1000) == 1000


@pytest.mark.redis
def test_the_send_schedule_is_shared_in_redis_and_the_slower_wins(settings):
    """Per-send key besides the per-channel one: with the channel unlimited the pace decides; with a slower
    channel limit the channel decides."""
    settings.REDIS_URL = redis_url()
    settings.INFOBIP_MESSAGE_ID_PREFIX = "pace-test"
    client = redis.Redis.from_url(redis_url())
    client.delete("pace-test:ratelimit:send:7:sms", "pace-test:ratelimit:sms")
    settings.DISPATCH_SMS_RATE_PER_SECOND = 0
    waits = [ratelimit.ratelimit_reserve(channel="sms", cost=2, send_id=7, pace_per_minute=120) for _ in range(3)]
    assert waits[0] == pytest.approx(0, abs=0.05)
    assert waits[1] == pytest.approx(1.0, abs=0.1) and waits[2] == pytest.approx(2.0, abs=0.1)
    client.delete("pace-test:ratelimit:send:8:sms")
    settings.DISPATCH_SMS_RATE_PER_SECOND = 0.5  # slower than 120/min: one message every 2 s after a 1 s burst
    waits = [ratelimit.ratelimit_reserve(channel="sms", cost=2, send_id=8, pace_per_minute=120) for _ in range(3)]
    assert waits[2] > 4.5
    client.delete("pace-test:ratelimit:send:7:sms", "pace-test:ratelimit:send:8:sms", "pace-test:ratelimit:sms")


def test_a_slot_beyond_the_wait_is_owed_not_skipped(settings):
    """A pace slot further away than the wait allowed comes back as seconds owed, so deliver.py gives the batch back
    instead of sending it early (the per-process schedule, as without Redis)."""
    settings.REDIS_URL = None
    settings.DISPATCH_SMS_RATE_PER_SECOND = 0
    first = ratelimit.ratelimit_wait(channel="sms", cost=1, max_wait=0.0, send_id=991, pace_per_minute=2)
    owed = ratelimit.ratelimit_wait(channel="sms", cost=1, max_wait=0.0, send_id=991, pace_per_minute=2)
    assert first == 0 and owed == pytest.approx(30, abs=0.5)
    assert ratelimit.ratelimit_wait(channel="sms", cost=1, max_wait=0.0) == 0  # unpaced: nothing owed

"""A notice is one thing, reminders included: the threshold is checked again when a scheduled or repeating send
starts (with the recipients counted then), pause holds reminders, cancel stops them, and each send of the notice is
listed on its page and can be paused or cancelled on its own."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignEvent, CampaignSend
from campaigns.services import approval, door
from notifications.models import Message, Send
from tests.factories import BucketFactory, ClientFactory, UserFactory
from tests.tracking.beat import run_beat_once
from tests.wizard.factories import CampaignFactory, content_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops():
    return UserFactory(username="olivia", email="olivia@staff.example.com", groups=["Ops"])


@pytest.fixture
def anna():
    return UserFactory(username="anna", email="anna@staff.example.com", groups=["Approvers"])


@pytest.fixture
def bucket():
    bucket = BucketFactory(name="Lyon north")
    for _ in range(2):
        bucket.clients.add(ClientFactory())
    return bucket


def notice(ops, bucket, **fields):
    return CampaignFactory(
        audience={"buckets": [bucket.pk]}, content=content_for("en"), channels=["sms"], created_by=ops, **fields
    )


def main_and_reminders(campaign):
    return list(
        Send.objects.filter(campaign_link__campaign=campaign, is_test=False)
        .order_by("pk")
        .values_list("state", flat=True)
    )


def due_now(campaign, **fields):
    """Move the notice's next start into the past, as time passing would."""
    past = timezone.now() - timedelta(seconds=1)
    Campaign.objects.filter(pk=campaign.pk).update(**{key: past for key in fields or ("send_at",)})


@override_settings(APPROVAL_THRESHOLD=3)
def test_a_scheduled_notice_whose_audience_grew_waits_for_approval(
    ops, anna, bucket, django_capture_on_commit_callbacks
):
    """Scheduled for 2 recipients (below 3), the bucket grows to 5: at its time it waits for approval, sends nothing,
    and the approvers are told; once approved it goes to the 5."""
    campaign = notice(ops, bucket, send_mode="at", send_at=timezone.now() + timedelta(hours=1))
    door.campaign_confirm(campaign=campaign, actor=ops)
    for _ in range(3):
        bucket.clients.add(ClientFactory())
    due_now(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        run_beat_once()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.AWAITING_APPROVAL and campaign.audience_size == 5
    assert not Message.objects.exists() and main_and_reminders(campaign) == []
    (event,) = CampaignEvent.objects.filter(campaign=campaign, action="approval_requested")
    assert "5 recipient(s)" in event.detail and "2 when confirmed" in event.detail
    assert [m.to for m in mail.outbox] == [["anna@staff.example.com"]]
    approval.campaign_approve(campaign=campaign, actor=anna)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING and campaign.approved_recipients == 5
    assert main_and_reminders(campaign) == [Send.State.QUEUED]


@override_settings(APPROVAL_THRESHOLD=3)
def test_a_scheduled_notice_within_its_approval_starts_at_its_time(ops, anna, bucket):
    """Approved for 4, still 4 at its time: it starts without asking again."""
    for _ in range(2):
        bucket.clients.add(ClientFactory())
    campaign = notice(ops, bucket, send_mode="at", send_at=timezone.now() + timedelta(hours=1))
    door.campaign_confirm(campaign=campaign, actor=ops)
    approval.campaign_approve(campaign=campaign, actor=anna)
    due_now(campaign)
    run_beat_once()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING and main_and_reminders(campaign) == [Send.State.QUEUED]


@override_settings(APPROVAL_THRESHOLD=3)
def test_a_reminder_whose_audience_grew_waits_for_approval(ops, anna, bucket):
    """Each reminder counts its recipients: above the threshold (and the approval) it waits, the notice says so."""
    campaign = notice(
        ops, bucket, send_mode="repeat", repeat_every_hours=1, repeat_until=timezone.now() + timedelta(hours=5)
    )
    door.campaign_confirm(campaign=campaign, actor=ops)
    for _ in range(2):
        bucket.clients.add(ClientFactory())
    due_now(campaign, next_run_at=True)
    run_beat_once()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.AWAITING_APPROVAL and len(main_and_reminders(campaign)) == 1
    approval.campaign_approve(campaign=campaign, actor=anna)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENDING and len(main_and_reminders(campaign)) == 2
    assert campaign.next_run_at > timezone.now()


def test_pause_holds_reminders_and_resume_brings_them_back(client, ops, bucket):
    """A paused repeating notice starts no reminder, even when one falls due; after resume the next one starts."""
    campaign = notice(
        ops, bucket, send_mode="repeat", repeat_every_hours=1, repeat_until=timezone.now() + timedelta(hours=5)
    )
    door.campaign_confirm(campaign=campaign, actor=ops)
    Send.objects.filter(campaign_link__campaign=campaign).update(state=Send.State.COMPLETED)
    client.force_login(ops)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert page.context["can_pause"]  # completed main send, but a reminder is to come
    client.post(reverse("campaigns:pause", args=[campaign.pk]))
    due_now(campaign, next_run_at=True)
    run_beat_once()
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED and len(main_and_reminders(campaign)) == 1
    client.post(reverse("campaigns:resume", args=[campaign.pk]))
    run_beat_once()
    assert len(main_and_reminders(campaign)) == 2


def test_pause_and_cancel_act_on_every_send_of_the_notice(client, ops, bucket):
    """Pausing pauses the reminder going out too; cancelling cancels its pending messages and stops the reminders."""
    campaign = notice(
        ops, bucket, send_mode="repeat", repeat_every_hours=1, repeat_until=timezone.now() + timedelta(hours=5)
    )
    door.campaign_confirm(campaign=campaign, actor=ops)
    due_now(campaign, next_run_at=True)
    run_beat_once()
    main, reminder = (link.send for link in CampaignSend.objects.filter(campaign=campaign).order_by("pk"))
    Send.objects.filter(pk=main.pk).update(state=Send.State.COMPLETED)
    Send.objects.filter(pk=reminder.pk).update(state=Send.State.SENDING, materialized_at=timezone.now())
    Message.objects.create(send=reminder, channel="sms", state=Message.State.PENDING)
    client.force_login(ops)
    client.post(reverse("campaigns:pause", args=[campaign.pk]))
    reminder.refresh_from_db()
    assert reminder.state == Send.State.PAUSED
    client.post(reverse("campaigns:cancel", args=[campaign.pk]))
    reminder.refresh_from_db()
    campaign.refresh_from_db()
    assert reminder.state == Send.State.CANCELLED and campaign.state == Campaign.State.CANCELLED
    assert campaign.next_run_at is None
    assert set(reminder.messages.values_list("state", flat=True)) == {Message.State.CANCELLED}
    due_now(campaign, next_run_at=True)
    run_beat_once()
    assert len(main_and_reminders(campaign)) == 2


def test_each_reminder_is_listed_and_can_be_paused_or_cancelled_alone(client, ops, bucket):
    """The notice page lists its main send and each reminder with its own progress and buttons."""
    campaign = notice(
        ops, bucket, send_mode="repeat", repeat_every_hours=1, repeat_until=timezone.now() + timedelta(hours=5)
    )
    door.campaign_confirm(campaign=campaign, actor=ops)
    due_now(campaign, next_run_at=True)
    run_beat_once()
    main, reminder = (link.send for link in CampaignSend.objects.filter(campaign=campaign).order_by("pk"))
    Send.objects.filter(pk=reminder.pk).update(state=Send.State.SENDING, materialized_at=timezone.now())
    Message.objects.create(send=reminder, channel="sms", state=Message.State.DELIVERED)
    Message.objects.create(send=reminder, channel="sms", state=Message.State.PENDING)
    client.force_login(ops)
    page = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    rows = page.context["send_rows"]
    assert [(row.role, row.send.pk) for row in rows] == [("main", main.pk), ("reminder", reminder.pk)]
    assert rows[1].progress.delivered == 1 and rows[1].progress.to_send == 2
    html = page.content.decode()
    assert "Reminder 1" in html and reverse("campaigns:send_action", args=[campaign.pk, reminder.pk, "pause"]) in html
    client.post(reverse("campaigns:send_action", args=[campaign.pk, reminder.pk, "pause"]))
    reminder.refresh_from_db()
    main.refresh_from_db()
    assert reminder.state == Send.State.PAUSED and main.state == Send.State.QUEUED
    client.post(reverse("campaigns:send_action", args=[campaign.pk, reminder.pk, "cancel"]))
    reminder.refresh_from_db()
    assert reminder.state == Send.State.CANCELLED
    actions = list(CampaignEvent.objects.filter(campaign=campaign).values_list("action", flat=True))
    assert "send_paused" in actions and "send_cancelled" in actions
    assert client.post(reverse("campaigns:send_action", args=[campaign.pk, 999999, "pause"])).status_code == 302
    assert client.post(f"/campaigns/{campaign.pk}/sends/{reminder.pk}/explode/").status_code == 404

"""Test send, confirm, approval, double-submit guard, permissions and reminders of the outage form."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignEvent, CampaignSend
from campaigns.services.door import campaign_confirm
from campaigns.services.schedule import reminder_due
from campaigns.services.starting import CampaignAlreadySent
from campaigns.tasks import notices_due_task
from notifications.models import Send
from tests.factories import BucketFactory, ClientFactory, TestRecipientFactory, UserFactory
from tests.wizard.factories import CampaignFactory, content_for

pytestmark = pytest.mark.django_db


def step_url(campaign, step):
    return reverse("campaigns:wizard", args=[campaign.pk, step])


@pytest.fixture
def ready(ops):
    """A draft at the Send step for a bucket of three clients on both channels, in English and French."""
    bucket = BucketFactory()
    for language in ("en", "en", "fr"):
        bucket.clients.add(ClientFactory(language=language))
    return CampaignFactory(
        wizard_step="send", audience={"buckets": [bucket.pk]}, content=content_for("en", "fr"), created_by=ops
    )


def test_confirm_requires_the_count_ticked(client, ready):
    """Without ticking the box that repeats the number, nothing is sent and the error is beside the box."""
    response = client.post(step_url(ready, "send"), {"expected": "3", "_send": "1"})
    assert response.status_code == 200
    assert "confirm" in response.context["form"].errors
    assert not Send.objects.exists()


def test_send_creates_one_send_and_lands_on_the_campaign_page(client, ready):
    """Confirming freezes content and audience into a queued Send and redirects to the campaign page."""
    response = client.post(step_url(ready, "send"), {"expected": "3", "confirm": "on", "_send": "1"})
    assert response.status_code == 302 and response.url == reverse("campaigns:detail", args=[ready.pk])
    ready.refresh_from_db()
    send = Send.objects.get()
    assert ready.state == "sending" and ready.audience_size == 3 and ready.sent_by.username == "ops"
    assert (send.state, send.is_test, send.audience, send.content) == ("queued", False, ready.audience, ready.content)
    assert send.notice_kind == "outage" and send.reference == f"campaign-{ready.pk}"
    assert CampaignSend.objects.get(send=send).role == "main"
    assert CampaignEvent.objects.filter(campaign=ready, action="sent").exists()


def test_double_submit_sends_once(client, ready):
    """Two POSTs of the confirm form (double click, back and resubmit) create one Send; the second says so."""
    data = {"expected": "3", "confirm": "on", "_send": "1"}
    client.post(step_url(ready, "send"), data)
    second = client.post(step_url(ready, "send"), data, follow=True)
    assert Send.objects.count() == 1
    assert "already" in " ".join(str(m) for m in second.context["messages"])
    assert second.redirect_chain[-1][0] == reverse("campaigns:detail", args=[ready.pk])


def test_service_guard_refuses_a_second_confirm_from_a_stale_copy(ready, ops):
    """A second confirm holding a stale draft copy (another tab) hits the conditional UPDATE and sends nothing."""
    stale = Campaign.objects.get(pk=ready.pk)
    campaign_confirm(campaign=ready, actor=ops)
    stale.state = Campaign.State.DRAFT
    with pytest.raises(CampaignAlreadySent):
        campaign_confirm(campaign=stale, actor=ops)
    assert Send.objects.count() == 1


def test_changed_count_asks_again(client, ready):
    """If the audience grew since the page opened, the confirmation is asked again with the new number."""
    response = client.post(step_url(ready, "send"), {"expected": "2", "confirm": "on", "_send": "1"})
    assert response.status_code == 200 and "changed from 2 to 3" in str(response.context["form"].non_field_errors())
    assert not Send.objects.exists()


def test_scheduled_send(client, ready):
    """A notice for a later time is scheduled; its send is made when its time comes, with the audience then."""
    ready.send_mode, ready.send_at = "at", timezone.now() + timedelta(hours=3)
    ready.save()
    client.post(step_url(ready, "send"), {"expected": "3", "confirm": "on", "_send": "1"})
    ready.refresh_from_db()
    assert ready.state == "scheduled" and not Send.objects.exists()
    assert notices_due_task() == 0
    Campaign.objects.filter(pk=ready.pk).update(send_at=timezone.now() - timedelta(seconds=1))
    assert notices_due_task() == 1 and notices_due_task() == 0
    ready.refresh_from_db()
    send = Send.objects.get()
    assert ready.state == "sending" and send.state == "queued" and send.audience == ready.audience
    assert CampaignEvent.objects.filter(campaign=ready, action="started").exists()


@override_settings(APPROVAL_THRESHOLD=2)
def test_approval_path(client, ready, ops):
    """Above the threshold the notice waits; its author cannot approve; an approver's click sends it once."""
    client.post(step_url(ready, "send"), {"expected": "3", "confirm": "on", "_send": "1"})
    ready.refresh_from_db()
    assert ready.state == "awaiting_approval" and not Send.objects.exists()
    ops.groups.add(*UserFactory(groups=["Approvers"]).groups.all())  # the author also holds approve: still refused
    client.post(reverse("campaigns:approve", args=[ready.pk]))
    ready.refresh_from_db()
    assert ready.state == "awaiting_approval"
    approver = UserFactory(username="anna", groups=["Approvers"])
    client.force_login(approver)
    preview = client.get(step_url(ready, "preview"))
    assert preview.status_code == 200 and preview.context["can_approve"]
    assert b"Approve and send to 3 recipients" in preview.content
    client.post(reverse("campaigns:approve", args=[ready.pk]))
    client.post(reverse("campaigns:approve", args=[ready.pk]))
    ready.refresh_from_db()
    assert ready.state == "sending" and ready.approved_by == approver
    assert Send.objects.count() == 1
    assert CampaignEvent.objects.filter(campaign=ready, action="approved", actor=approver).exists()


def test_test_send_goes_to_internal_recipients_only(client, ready):
    """A test send reaches only the chosen internal test recipients and is marked as a test; the form moves on to
    the Send step, where the test's statuses arrive (issue 13 item 2: one click fewer)."""
    testers = [TestRecipientFactory(), TestRecipientFactory()]
    ready.wizard_step = "test"
    ready.save()
    response = client.post(step_url(ready, "test"), {"test_recipients": [testers[0].pk], "_send_test": "1"})
    assert response.status_code == 302 and response.url == step_url(ready, "send")
    send = Send.objects.get()
    assert send.is_test and send.audience == {"test_recipients": [testers[0].pk]}
    assert CampaignSend.objects.get(send=send).role == "test"
    ready.refresh_from_db()
    assert ready.state == "draft"
    status = client.get(reverse("campaigns:wizard_test_status", args=[ready.pk]))
    assert status.context["test_summary"]["send"] == send


def test_skip_test_in_one_click(client, ready):
    """'Skip the test' goes to the Send step, whose summary says no test was sent."""
    ready.wizard_step = "test"
    ready.save()
    response = client.post(step_url(ready, "test"), {"_next": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == step_url(ready, "send")
    assert b"No test was sent." in response.content


def test_viewers_cannot_open_the_wizard(client, ready):
    """A Viewer gets 403 on every wizard page; an anonymous visitor is sent to log in."""
    client.force_login(UserFactory(username="vic", groups=["Viewers"]))
    for url in (
        reverse("campaigns:new"),
        step_url(ready, "incident"),
        step_url(ready, "send"),
        reverse("campaigns:wizard_counts", args=[ready.pk]),
        reverse("campaigns:templates") + "new/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(step_url(ready, "send"), {"expected": "3", "confirm": "on"}).status_code == 403
    client.logout()
    response = client.get(reverse("campaigns:new"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_ops_without_send_permission_cannot_send(client, ready):
    """Drafting without the send permission shows no send button and refuses the POST."""
    from django.contrib.auth.models import Permission

    drafter = UserFactory(username="drafter")
    drafter.user_permissions.add(Permission.objects.get(codename="add_campaign"))
    Campaign.objects.filter(pk=ready.pk).update(created_by=drafter)
    client.force_login(drafter)
    page = client.get(step_url(ready, "send"))
    assert page.status_code == 200 and b"send-button" not in page.content
    assert client.post(step_url(ready, "send"), {"expected": "3", "confirm": "on", "_send": "1"}).status_code == 403
    assert (
        client.post(
            step_url(ready, "test"), {"test_recipients": [TestRecipientFactory().pk], "_send_test": "1"}
        ).status_code
        == 403
    )
    assert not Send.objects.exists()


def test_draft_resumed_after_logout(client, ready, ops):
    """After logging out and in again, the draft reopens at its furthest step with everything kept."""
    client.logout()
    client.force_login(ops)
    response = client.get(step_url(ready, "message"))
    assert response.status_code == 200
    assert response.context["form"]["fr_sms_text"].value() == ready.content["fr"]["sms"]["text"]
    assert client.get(step_url(ready, "send")).status_code == 200


def test_sent_campaign_steps_lead_to_its_page(client, ready, ops):
    """After sending, every step of the wizard leads to the campaign page instead of editing it."""
    campaign_confirm(campaign=ready, actor=ops)
    response = client.get(step_url(ready, "message"))
    assert response.status_code == 302 and response.url == reverse("campaigns:detail", args=[ready.pk])


def test_reminders_start_once_per_due_time(ready, ops):
    """A repeating notice starts one reminder per due time, even if the task runs twice, and stops at the end."""
    ready.send_mode, ready.repeat_every_hours = "repeat", 2
    ready.repeat_until = timezone.now() + timedelta(hours=3)
    ready.save()
    campaign_confirm(campaign=ready, actor=ops)
    ready.refresh_from_db()
    due = ready.next_run_at
    Campaign.objects.filter(pk=ready.pk).update(
        next_run_at=timezone.now() - timedelta(minutes=1), repeat_until=timezone.now() + timedelta(hours=1)
    )
    assert notices_due_task() == 1
    assert notices_due_task() == 0
    assert CampaignSend.objects.filter(campaign=ready, role="reminder").count() == 1
    ready.refresh_from_db()
    assert ready.next_run_at is None  # the following reminder would fall after repeat_until
    assert due is not None
    assert reminder_due(campaign_id=ready.pk, due_at=due) is False


def test_test_status_keeps_polling_until_the_test_messages_exist(client):
    """Right after "Send test" the worker has not made the messages yet: the status box must keep polling."""
    client.force_login(UserFactory(username="tessa", groups=["Ops"]))
    campaign = CampaignFactory(created_by=None)
    send = Send.objects.create(label="test", is_test=True, channels=["sms"])
    CampaignSend.objects.create(campaign=campaign, send=send, role=CampaignSend.Role.TEST)
    html = client.get(reverse("campaigns:wizard_test_status", args=[campaign.pk])).content.decode()
    assert "Preparing the test messages" in html and "hx-trigger" in html

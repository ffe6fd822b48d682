"""``manage.py notify`` goes through the campaigns door: its notices are listed, audited, approved above the
threshold, honour muted kinds, and print their address; plus the options it always had (audience, content,
confirmation, test sends, --at, and --wait's final line)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse

from campaigns.models import Campaign, CampaignEvent, CampaignSend, MessageTemplate, TemplateVersion
from notifications.models import Message, Send
from tests.factories import BucketFactory, ClientFactory, SegmentFactory, TestRecipientFactory, UserFactory

pytestmark = pytest.mark.django_db


def notify(*args, answer=None, monkeypatch=None, os_user="nobody-here"):
    out = StringIO()
    if monkeypatch is not None:
        monkeypatch.setattr("getpass.getuser", lambda: os_user)
        if answer is not None:
            monkeypatch.setattr("builtins.input", lambda prompt: answer)
    call_command("notify", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture(autouse=True)
def no_os_user(monkeypatch):
    """The OS login of whoever runs the tests must not map to a portal user by accident."""
    monkeypatch.setattr("getpass.getuser", lambda: "nobody-here")


def test_a_notify_notice_is_a_campaign_listed_audited_with_its_address(client, settings):
    """The notice is a Campaign (source command line), in the notices list, with events and a page."""
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    ClientFactory.create_batch(3)
    out = notify("--all", "--channel", "sms", "--text", "Fibre cut", "--label", "Fibre cut north", "--yes")
    campaign = Campaign.objects.get()
    assert campaign.source == Campaign.Source.COMMAND_LINE and campaign.title == "Fibre cut north"
    assert campaign.state == Campaign.State.SENDING and campaign.audience_size == 3
    assert f"https://portal.example.com/campaigns/{campaign.pk}/" in out
    actions = list(CampaignEvent.objects.filter(campaign=campaign).values_list("action", flat=True))
    assert actions == ["drafted", "sent"]
    send = CampaignSend.objects.get(campaign=campaign, role="main").send
    assert send.reference == f"campaign-{campaign.pk}" and send.state == Send.State.QUEUED
    client.force_login(UserFactory(groups=["Viewers"]))
    listing = client.get(reverse("campaigns:list"))
    assert "Fibre cut north" in listing.content.decode() and "Command line" in listing.content.decode()
    page = client.get(reverse("campaigns:detail", args=[campaign.pk]))
    assert page.status_code == 200 and "Command line" in page.content.decode()


@override_settings(APPROVAL_THRESHOLD=2)
def test_above_the_threshold_a_notify_notice_waits_for_approval(django_capture_on_commit_callbacks):
    """Above APPROVAL_THRESHOLD nothing is sent: the notice waits, the approvers are emailed, the address shown."""
    ClientFactory.create_batch(3)
    UserFactory(username="anna", email="anna@staff.example.com", groups=["Approvers"])
    with django_capture_on_commit_callbacks(execute=True):
        out = notify("--all", "--channel", "sms", "--text", "Fibre cut", "--yes")
    campaign = Campaign.objects.get()
    assert campaign.state == Campaign.State.AWAITING_APPROVAL
    assert not Send.objects.exists()
    assert "waits for approval" in out and f"/campaigns/{campaign.pk}/wizard/preview/" in out
    assert CampaignEvent.objects.filter(campaign=campaign, action="approval_requested").exists()
    assert [m.to for m in mail.outbox] == [["anna@staff.example.com"]]


def test_muted_kinds_are_honoured_by_default():
    """Without --kind the notice is an outage notice: clients who muted outages are skipped, unless --mandatory."""
    muted = ClientFactory(muted_kinds=["outage"])
    heard = ClientFactory()
    notify("--all", "--channel", "sms", "--text", "Fibre cut", "--yes")
    send = Send.objects.get()
    assert send.notice_kind == "outage" and not send.mandatory
    assert Campaign.objects.get().audience_size == 1
    notify("--all", "--channel", "sms", "--text", "Fibre cut", "--mandatory", "--yes")
    assert Campaign.objects.order_by("pk").last().audience_size == 2
    assert muted.pk != heard.pk


def test_user_option_and_os_login_name_the_author(monkeypatch):
    """--user names the portal user; else the OS login if a portal user has it; else nobody (the system)."""
    ClientFactory()
    olivia = UserFactory(username="olivia", groups=["Ops"])
    notify("--all", "--channel", "sms", "--text", "x", "--user", "olivia", "--yes")
    notify("--all", "--channel", "sms", "--text", "x", "--yes", monkeypatch=monkeypatch, os_user="olivia")
    notify("--all", "--channel", "sms", "--text", "x", "--yes", monkeypatch=monkeypatch, os_user="root")
    first, second, third = Campaign.objects.order_by("pk")
    assert (first.created_by, first.sent_by, first.source_detail) == (olivia, olivia, "--user olivia")
    assert (second.created_by, second.source_detail) == (olivia, "OS user olivia")
    assert (third.created_by, third.source_detail) == (None, "OS user root, no portal user")


def test_a_named_user_needs_the_send_permission():
    """A portal user without the permission to send cannot send from the command line either."""
    ClientFactory()
    UserFactory(username="vic", groups=["Viewers"])
    with pytest.raises(CommandError, match="permission"):
        notify("--all", "--channel", "sms", "--text", "x", "--user", "vic", "--yes")
    assert not Send.objects.exists()
    with pytest.raises(CommandError, match="No active portal user"):
        notify("--all", "--channel", "sms", "--text", "x", "--user", "ghost", "--yes")


@override_settings(APPROVAL_THRESHOLD=1)
def test_emergency_option_sends_above_the_threshold_for_an_incident_lead(django_capture_on_commit_callbacks):
    """--emergency REASON sends at once for a user allowed to, records the reason and tells the approvers."""
    ClientFactory.create_batch(2)
    UserFactory(username="anna", email="anna@staff.example.com", groups=["Approvers"])
    UserFactory(username="lee", groups=["Ops", "Incident leads"])
    with django_capture_on_commit_callbacks(execute=True):
        out = notify(
            "--all",
            "--channel",
            "sms",
            "--text",
            "x",
            "--user",
            "lee",
            "--emergency",
            "Fibre cut, no approver",
            "--yes",
        )
    campaign = Campaign.objects.get()
    assert campaign.state == Campaign.State.SENDING and campaign.emergency_reason == "Fibre cut, no approver"
    assert "emergency" in out and Send.objects.count() == 1
    assert any("Emergency" in m.subject for m in mail.outbox)
    UserFactory(username="olivia", groups=["Ops"])
    with pytest.raises(CommandError, match="permission"):
        notify("--all", "--channel", "sms", "--text", "x", "--user", "olivia", "--emergency", "x" * 20, "--yes")


def test_all_clients_with_text_prints_counts_and_creates_a_send(django_capture_on_commit_callbacks):
    """--all --yes shows counts per channel and exclusions, then freezes a queued send."""
    ClientFactory.create_batch(3)
    ClientFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        out = notify(
            "--all",
            "--channel",
            "both",
            "--subject",
            "Outage",
            "--text",
            "Hi {{ client_name }}",
            "--var",
            "incident_title=Fibre cut",
            "--yes",
        )
    assert "4 client(s) matched." in out and "sms: 3 to send; excluded: inactive 1" in out
    send = Send.objects.get()
    assert send.state == Send.State.QUEUED and send.channels == ["sms", "email"]
    assert send.variables["incident_title"] == "Fibre cut"
    assert send.content["en"]["email"]["html"] == "<p>Hi {{ client_name }}</p>"
    # One doorbell for the send on commit (the incident's public page is published on commit too).
    assert sum("materialize_task" in repr(callback) for callback in callbacks) == 1


def test_buckets_and_segment_select_the_audience():
    """--bucket (repeatable, by name or slug) and --segment build the notice's audience."""
    first, second = BucketFactory(name="North"), BucketFactory(slug="key-accounts")
    first.clients.add(ClientFactory())
    segment = SegmentFactory(name="VIP")
    notify("--bucket", "North", "--bucket", "key-accounts", "--channel", "sms", "--text", "x", "--yes")
    notify("--segment", "VIP", "--channel", "sms", "--text", "x", "--yes")
    audiences = list(Campaign.objects.order_by("pk").values_list("audience", flat=True))
    assert audiences == [{"buckets": [first.pk, second.pk]}, {"segment": segment.pk}]


def test_answering_no_sends_nothing(monkeypatch):
    """Without --yes the command asks, and anything but y cancels: no notice is recorded."""
    ClientFactory()
    with pytest.raises(CommandError, match="Cancelled"):
        notify("--all", "--channel", "sms", "--text", "x", answer="n", monkeypatch=monkeypatch)
    assert not Send.objects.exists() and not Campaign.objects.exists()


def test_bad_template_and_missing_options_fail_clearly():
    """Template errors, an unknown bucket, or a missing subject stop the command with a message."""
    with pytest.raises(CommandError, match="en.sms.text"):
        notify("--all", "--channel", "sms", "--text", "Hi {{ nope }}", "--yes")
    with pytest.raises(CommandError, match="No bucket"):
        notify("--bucket", "nowhere", "--channel", "sms", "--text", "x", "--yes")
    with pytest.raises(CommandError, match="subject"):
        notify("--all", "--channel", "email", "--text", "x", "--yes")
    assert not Campaign.objects.exists()


def test_template_by_name_provides_every_language():
    """--template looks up the campaigns template and freezes each language version."""
    ClientFactory()
    template = MessageTemplate.objects.create(name="Outage", sms_stop_line=True)
    TemplateVersion.objects.create(
        template=template,
        language="en",
        sms_text="Down: {{ incident_title }}",
        email_subject="Down",
        email_text="Down",
        email_html="<p>Down</p>",
    )
    TemplateVersion.objects.create(
        template=template, language="fr", sms_text="Panne", email_subject="Panne", email_text="Panne"
    )
    notify("--all", "--template", "Outage", "--channel", "sms", "--yes")
    send = Send.objects.get()
    assert send.content["en"]["sms"] == {"text": "Down: {{ incident_title }}"}
    assert send.content["fr"]["sms"] == {"text": "Panne"}
    assert send.sms_stop_line and Campaign.objects.get().template == template


def test_test_flag_reaches_internal_recipients_only_through_the_door():
    """--test records a draft notice and test-sends it to the active internal test recipients."""
    ClientFactory.create_batch(2)
    tester = TestRecipientFactory()
    TestRecipientFactory(is_active=False)
    out = notify("--test", "--channel", "sms", "--text", "x", "--yes")
    send = Send.objects.get()
    assert send.is_test and send.audience == {"test_recipients": [tester.pk]}
    campaign = Campaign.objects.get()
    assert campaign.state == Campaign.State.DRAFT and campaign.source == Campaign.Source.COMMAND_LINE
    assert CampaignSend.objects.get(send=send).role == "test"
    assert CampaignEvent.objects.filter(campaign=campaign, action="test_sent").exists()
    assert f"/campaigns/{campaign.pk}/" in out


def test_at_schedules_the_notice():
    """--at with a future time leaves the notice scheduled; its send starts then, through the door."""
    ClientFactory()
    notify("--all", "--channel", "sms", "--text", "x", "--at", "2099-01-01T08:00", "--yes")
    campaign = Campaign.objects.get()
    assert campaign.state == Campaign.State.SCHEDULED and campaign.send_at.year == 2099
    assert not Send.objects.exists()


def test_wait_prints_the_final_line():
    """--wait ends with 'N delivered, N failed, N skipped' once nothing is in flight."""
    from campaigns.management.commands.notify import Command

    send = Send.objects.create(label="done", channels=["sms"], state=Send.State.COMPLETED)
    for state in ("delivered", "delivered", "undeliverable", "skipped"):
        Message.objects.create(send=send, channel="sms", state=state)
    command = Command(stdout=StringIO(), stderr=StringIO())
    command._wait_for_send(send, deadline=float("inf"))
    assert command.stdout.getvalue().splitlines()[-1] == "2 delivered, 1 failed, 1 skipped"


@override_settings(APPROVAL_THRESHOLD=1)
def test_wait_explains_a_decline(monkeypatch):
    """With --wait, a notice declined while the command waits ends with the approver's reason."""
    from campaigns.services.approval import campaign_decline

    ClientFactory.create_batch(2)
    approver = UserFactory(username="anna", groups=["Approvers"])

    def decline_then_sleep(seconds):
        campaign = Campaign.objects.get()
        if campaign.state == Campaign.State.AWAITING_APPROVAL:
            campaign_decline(campaign=campaign, actor=approver, reason="Wrong region")

    monkeypatch.setattr("campaigns.management.commands.notify.time.sleep", decline_then_sleep)
    with pytest.raises(CommandError, match="Declined by anna: Wrong region"):
        notify("--all", "--channel", "sms", "--text", "x", "--yes", "--wait", "--timeout", "30")
    assert Campaign.objects.get().state == Campaign.State.DRAFT


def test_consent_is_honoured():
    """A client who opted out of SMS is skipped like in the portal."""
    ClientFactory(sms_consent=False)
    ClientFactory()
    notify("--all", "--channel", "sms", "--text", "x", "--yes")
    assert Campaign.objects.get().audience_size == 1

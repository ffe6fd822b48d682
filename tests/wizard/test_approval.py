"""Approval that cannot be walked around: only the author edits a draft, every edit is recorded with the fields it
changed, an editor cannot approve, an edit after approval voids it, approvers decline with a reason the author
reads, approvers are told by email and on the dashboard, and incident leads have an emergency path."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignEvent
from campaigns.services import approval, door, drafts, rules
from notifications.models import Send
from tests.factories import BucketFactory, ClientFactory, UserFactory
from tests.wizard.factories import CampaignFactory, content_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``committed(client.post, url, data)``: what waits for the commit (emails) runs, as after a real request."""

    def call(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return call


def step_url(campaign, step):
    return reverse("campaigns:wizard", args=[campaign.pk, step])


def message_post(text="{{ client_name }}: SMS delayed."):
    return {
        "fallback_language": "en",
        "var_service": "SMS service",
        "var_expected_resolution": "12:00",
        "var_status_page": "",
        "en_sms_text": text,
        "en_email_subject": "SMS delayed",
        "en_email_text": "Hello {{ client_name }}",
        "en_email_html": "",
        "_next": "1",
    }


CONFIRM = {"expected": "3", "confirm": "on", "_send": "1"}


@pytest.fixture
def author():
    return UserFactory(username="olivia", email="olivia@staff.example.com", groups=["Ops"])


@pytest.fixture
def both():
    """A colleague in Ops and Approvers: the person of issue 11 who rewrote a draft and approved it."""
    return UserFactory(username="bob", email="bob@staff.example.com", groups=["Ops", "Approvers"])


@pytest.fixture
def anna():
    return UserFactory(username="anna", email="anna@staff.example.com", groups=["Approvers"])


@pytest.fixture
def draft(author):
    bucket = BucketFactory()
    for _ in range(3):
        bucket.clients.add(ClientFactory(language="en"))
    return CampaignFactory(
        wizard_step="send", audience={"buckets": [bucket.pk]}, content=content_for("en"), created_by=author
    )


def events(campaign, action):
    return list(CampaignEvent.objects.filter(campaign=campaign, action=action).order_by("at", "id"))


def test_another_ops_user_cannot_edit_a_draft(client, draft, both):
    """Another Ops user gets a 403 that says whose draft it is, on the page and in the service."""
    client.force_login(both)
    for step in ("incident", "audience", "message", "when", "test", "send"):
        response = client.get(step_url(draft, step))
        assert response.status_code == 403, step
        assert "olivia" in response.content.decode()
    response = client.post(step_url(draft, "message"), message_post("Rewritten by bob"))
    assert response.status_code == 403
    draft.refresh_from_db()
    assert "Rewritten" not in draft.content["en"]["sms"]["text"]
    with pytest.raises(rules.NotAllowed):
        drafts.campaign_content_keep(campaign=draft, content=content_for("fr"), variables={}, actor=both)
    assert client.get(step_url(draft, "preview")).status_code == 200  # reading is fine


def test_an_incident_lead_may_take_over_a_draft(client, draft):
    """Someone allowed to edit others' drafts (Incident leads) may change it; the edit names them."""
    lead = UserFactory(username="lee", groups=["Ops", "Incident leads"])
    client.force_login(lead)
    response = client.post(step_url(draft, "message"), message_post("Taken over by lee"))
    assert response.status_code == 302
    (edit,) = events(draft, "edited")
    assert edit.actor == lead and "en sms text" in edit.detail


def test_every_edit_is_recorded_with_the_fields_it_changed(client, draft, author):
    """Each step saved with changes writes an 'edited' event naming the fields; saving unchanged writes none."""
    client.force_login(author)
    client.post(step_url(draft, "message"), message_post("New text {{ client_name }}"))
    client.post(step_url(draft, "message"), message_post("New text {{ client_name }}"))
    when = {"send_mode": "at", "send_at": (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}
    client.post(step_url(draft, "when"), {**when, "tz": "UTC", "_next": "1"})
    edits = events(draft, "edited")
    assert [e.actor for e in edits] == [author, author]
    assert edits[0].detail.startswith("Message: ") and "en sms text" in edits[0].detail
    assert "value expected_resolution" in edits[0].detail
    assert edits[1].detail == "When: when, date and time"


@override_settings(APPROVAL_THRESHOLD=2)
def test_an_editor_cannot_approve(client, draft, author, both):
    """The issue's walk-around: bob edits (as lead would), the author confirms, bob may not approve; anna may."""
    lead = UserFactory(username="lee", groups=["Ops", "Incident leads", "Approvers"])
    drafts.campaign_message_update(
        campaign=draft, content=content_for("en", "fr"), fallback_language="en", variables={}, actor=lead
    )
    client.force_login(author)
    client.post(step_url(draft, "send"), CONFIRM)
    draft.refresh_from_db()
    assert draft.state == Campaign.State.AWAITING_APPROVAL
    client.force_login(lead)
    response = client.post(reverse("campaigns:approve", args=[draft.pk]))
    assert response.status_code == 403 and "You edited this notice" in response.content.decode()
    preview = client.get(step_url(draft, "preview"))
    assert not preview.context["can_approve"] and "You edited" in preview.context["approval_problem"]
    client.force_login(both)  # neither wrote nor edited it
    assert client.post(reverse("campaigns:approve", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.state == Campaign.State.SENDING and draft.approved_by == both
    assert Send.objects.filter(is_test=False).count() == 1


@override_settings(APPROVAL_THRESHOLD=2)
def test_an_edit_after_approval_voids_it(client, draft, author, anna):
    """An approved, scheduled notice taken back to draft and edited loses its approval and must be approved again."""
    draft.send_mode, draft.send_at = "at", timezone.now() + timedelta(hours=2)
    draft.save()
    door.campaign_confirm(campaign=draft, actor=author)
    approval.campaign_approve(campaign=draft, actor=anna)
    draft.refresh_from_db()
    assert draft.state == Campaign.State.SCHEDULED and draft.approved_by == anna and draft.approved_recipients == 3
    client.force_login(author)
    assert client.post(reverse("campaigns:reopen", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.state == Campaign.State.DRAFT and draft.approved_by == anna  # reopening alone changes nothing
    client.post(step_url(draft, "message"), message_post("Changed after approval {{ client_name }}"))
    draft.refresh_from_db()
    assert draft.approved_by is None and draft.approved_recipients is None
    (voided,) = events(draft, "approval_voided")
    assert voided.actor == author and "anna" in voided.detail
    client.post(step_url(draft, "send"), CONFIRM)
    draft.refresh_from_db()
    assert draft.state == Campaign.State.AWAITING_APPROVAL


@override_settings(APPROVAL_THRESHOLD=2)
def test_approvers_are_told_by_email_and_on_the_dashboard(client, committed, draft, author, anna, both):
    """Confirming above the threshold emails every approver (not the author), each their own message, and lists the
    notice on the dashboard."""
    UserFactory(username="quiet", email="", groups=["Approvers"])
    client.force_login(author)
    committed(client.post, step_url(draft, "send"), CONFIRM)
    assert sorted(message.to for message in mail.outbox) == [["anna@staff.example.com"], ["bob@staff.example.com"]]
    for message in mail.outbox:
        assert not message.cc and not message.bcc
        assert draft.title in message.subject and f"/campaigns/{draft.pk}/wizard/preview/" in message.body
        assert "olivia" in message.body
    client.force_login(anna)
    home = client.get("/")
    waiting = home.context["awaiting"]
    assert [c.pk for c in waiting] == [draft.pk]
    assert waiting[0].asked_by == "olivia" and waiting[0].audience_size == 3
    assert "Awaiting approval" in home.content.decode()


@override_settings(APPROVAL_THRESHOLD=2)
def test_decline_with_a_reason_goes_back_to_the_author(client, committed, draft, author, anna):
    """An approver declines with a reason; the draft is the author's again and shows why; the author is emailed."""
    client.force_login(author)
    client.post(step_url(draft, "send"), CONFIRM)
    mail.outbox.clear()
    client.force_login(anna)
    assert client.post(reverse("campaigns:decline", args=[draft.pk]), {"reason": ""}).status_code == 302
    draft.refresh_from_db()
    assert draft.state == Campaign.State.AWAITING_APPROVAL  # a reason is required
    reason = {"reason": "Wrong bucket: this is Lyon, not Paris"}
    committed(client.post, reverse("campaigns:decline", args=[draft.pk]), reason)
    draft.refresh_from_db()
    assert draft.state == Campaign.State.DRAFT and not Send.objects.exists()
    (declined,) = events(draft, "approval_declined")
    assert declined.actor == anna and declined.detail == "Wrong bucket: this is Lyon, not Paris"
    assert mail.outbox[0].to == ["olivia@staff.example.com"] and "Lyon" in mail.outbox[0].body
    client.force_login(author)
    for url in (step_url(draft, "audience"), step_url(draft, "preview"), reverse("campaigns:detail", args=[draft.pk])):
        page = client.get(url).content.decode()
        assert "Wrong bucket: this is Lyon, not Paris" in page and "Declined by anna" in page, url
    assert client.post(step_url(draft, "message"), message_post()).status_code == 302  # the author edits again


@override_settings(APPROVAL_THRESHOLD=2)
def test_only_approvers_decline_and_not_their_own(client, draft, author, both):
    """Ops users without the approve permission get 403; the author cannot decline (or approve) their own."""
    client.force_login(author)
    client.post(step_url(draft, "send"), CONFIRM)
    assert client.post(reverse("campaigns:decline", args=[draft.pk]), {"reason": "no"}).status_code == 403
    author.groups.add(*both.groups.all())
    response = client.post(reverse("campaigns:decline", args=[draft.pk]), {"reason": "no"})
    assert response.status_code == 403 and "You prepared this notice" in response.content.decode()
    with pytest.raises(approval.ApprovalNotAllowed):
        approval.campaign_approve(campaign=draft, actor=author)


@override_settings(APPROVAL_THRESHOLD=2)
def test_emergency_send_from_the_send_step(client, committed, draft, anna):
    """An incident lead types a reason and sends above the threshold at once; the reason and person are shown on
    the notice page, in the record and on the dashboard; the approvers are told at once."""
    lead = UserFactory(username="lee", groups=["Ops", "Incident leads"])
    Campaign.objects.filter(pk=draft.pk).update(created_by=lead)
    client.force_login(lead)
    page = client.get(step_url(draft, "send"))
    assert page.context["can_emergency"] and b"emergency-send-button" in page.content
    for reason in ("", "now"):
        short = client.post(step_url(draft, "send"), {**CONFIRM, "_emergency": "1", "emergency_reason": reason})
        assert short.status_code == 200 and "emergency_reason" in short.context["form"].errors
        draft.refresh_from_db()
        assert draft.state == Campaign.State.DRAFT  # neither sent nor quietly handed to the approvers
    reason = "Fibre cut in Lyon, every customer down, no approver reachable"
    committed(client.post, step_url(draft, "send"), {**CONFIRM, "_emergency": "1", "emergency_reason": reason})
    draft.refresh_from_db()
    assert draft.state == Campaign.State.SENDING and draft.emergency_by == lead and draft.emergency_reason == reason
    assert draft.approved_by is None and Send.objects.filter(is_test=False).count() == 1
    (event,) = events(draft, "emergency_send")
    assert event.actor == lead and reason in event.detail
    assert any(
        m.to == ["anna@staff.example.com"] and "Emergency" in m.subject and reason in m.body for m in mail.outbox
    )
    detail = client.get(reverse("campaigns:detail", args=[draft.pk])).content.decode()
    assert reason in detail and "Emergency send" in detail
    home = client.get("/").content.decode()
    assert reason in home and "lee" in home


@override_settings(APPROVAL_THRESHOLD=2)
def test_emergency_needs_its_permission(client, draft, author):
    """Without the emergency permission the option is not offered and a forged POST only asks for approval."""
    client.force_login(author)
    assert not client.get(step_url(draft, "send")).context["can_emergency"]
    client.post(step_url(draft, "send"), {**CONFIRM, "_emergency": "1", "emergency_reason": "x" * 30})
    draft.refresh_from_db()
    assert draft.state == Campaign.State.DRAFT and draft.emergency_at is None
    assert not Send.objects.exists()
    with pytest.raises(rules.NotAllowed):
        door.campaign_confirm(campaign=draft, actor=author, emergency_reason="x" * 30)


@override_settings(APPROVAL_THRESHOLD=2)
def test_emergency_send_of_a_notice_awaiting_approval(client, draft, author, anna):
    """A lead may release a notice that waits for approval, from its page, with a reason."""
    door.campaign_confirm(campaign=draft, actor=author)
    lead = UserFactory(username="lee", groups=["Ops", "Incident leads"])
    client.force_login(lead)
    page = client.get(reverse("campaigns:detail", args=[draft.pk]))
    assert page.context["can_emergency"] and b"emergency-button" in page.content
    client.post(reverse("campaigns:emergency", args=[draft.pk]), {"reason": "Approvers unreachable, storm"})
    draft.refresh_from_db()
    assert draft.state == Campaign.State.SENDING and draft.emergency_by == lead
    assert "Approvers unreachable, storm" in client.get(reverse("campaigns:detail", args=[draft.pk])).content.decode()


def test_an_edit_names_only_what_recipients_would_read_differently():
    """Texts of an unused channel and empty values coming and going are not changes; real texts are."""
    from campaigns.services.audit import content_changes, variable_changes

    before = {"en": {"sms": {"text": "A"}, "email": {"subject": "S", "text": "T"}}}
    after = {"en": {"sms": {"text": "B"}}, "fr": {"sms": {"text": "C"}}}
    assert content_changes(before, after, ["sms"]) == ["en sms text", "fr (added)"]
    assert content_changes(before, after, ["sms", "email"]) == [
        "en email subject",
        "en email text",
        "en sms text",
        "fr (added)",
    ]
    assert variable_changes({"service": "SMS"}, {"service": "SMS", "status_page": ""}) == []
    assert variable_changes({"service": "SMS"}, {"service": "Email"}) == ["value service"]


@override_settings(APPROVAL_THRESHOLD=2)
def test_the_notice_page_leads_an_approver_to_the_preview(client, draft, author, anna):
    """On the notice page an eligible approver gets the way to the preview; the author gets no approval hint."""
    door.campaign_confirm(campaign=draft, actor=author)
    client.force_login(anna)
    page = client.get(reverse("campaigns:detail", args=[draft.pk])).content.decode()
    assert 'id="approve-link"' in page and f"/campaigns/{draft.pk}/wizard/preview/" in page
    client.force_login(author)
    page = client.get(reverse("campaigns:detail", args=[draft.pk])).content.decode()
    assert 'id="approve-link"' not in page and "approval-problem" not in page

"""Tracking pages: permissions, masking, live progress endpoint, pagination, failures, follow-ups, dashboard."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignEvent, IncidentKind
from notifications.models import Message, Send
from tests.factories import ClientFactory, UserFactory
from tests.tracking.factories import CampaignFactory, add_messages, campaign_with_send

pytestmark = pytest.mark.django_db

S = Message.State


@pytest.fixture
def ops_client(client):
    client.force_login(UserFactory(username="olivia", groups=["Ops"]))
    return client


@pytest.fixture
def viewer_client(client):
    client.force_login(UserFactory(username="victor", groups=["Viewers"]))
    return client


@pytest.fixture
def sent():
    campaign, send = campaign_with_send(send_state=Send.State.SENDING)
    person = ClientFactory(name="Jeanne Martin", phone="+33612345678", email="jeanne@example.com")
    add_messages(send, {S.DELIVERED: 1}, clients=[person])
    add_messages(send, {S.DELIVERED: 1}, channel="email", clients=[person])
    add_messages(send, {S.PENDING: 2, S.UNDELIVERABLE: 1})
    return campaign, send


@pytest.mark.parametrize(
    "name", ["list", "detail", "progress", "recipients", "failures", "export_recipients", "export_failures", "incident"]
)
def test_anonymous_users_are_sent_to_login(client, sent, name):
    """Every tracking page redirects an anonymous visitor to the login page."""
    campaign, _ = sent
    args = [] if name == "list" else [campaign.incident_id if name == "incident" else campaign.pk]
    response = client.get(reverse(f"campaigns:{name}", args=args))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_user_without_view_permission_gets_403(client, sent):
    """A signed-in user outside the staff groups cannot read a notice."""
    client.force_login(UserFactory(username="nobody"))
    assert client.get(reverse("campaigns:detail", args=[sent[0].pk])).status_code == 403


def test_viewer_sees_masked_destinations_and_no_actions(viewer_client, sent):
    """Viewers see '+33••••••78' and 'j•••@example.com', and no pause, cancel or follow-up button."""
    campaign, _ = sent
    page = viewer_client.get(reverse("campaigns:recipients", args=[campaign.pk])).content.decode()
    assert "+33••••••78" in page and "j•••@example.com" in page
    assert "+33612345678" not in page and "jeanne@example.com" not in page
    detail = viewer_client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    for label in ("Pause", "Cancel", "Send update", "Send resolved"):
        assert f">{label}</button>" not in detail


def test_viewer_cannot_post_actions(viewer_client, sent):
    """A viewer's POST to pause or retry is refused and changes nothing."""
    campaign, send = sent
    assert viewer_client.post(reverse("campaigns:pause", args=[campaign.pk])).status_code == 403
    assert viewer_client.post(reverse("campaigns:retry", args=[campaign.pk])).status_code == 403
    send.refresh_from_db()
    assert send.state == Send.State.SENDING and not CampaignEvent.objects.exists()


def test_ops_sees_full_destinations_and_actions(ops_client, sent):
    """Ops see the real destination and the pause and cancel buttons of a sending notice."""
    campaign, _ = sent
    page = ops_client.get(reverse("campaigns:recipients", args=[campaign.pk])).content.decode()
    assert "+33612345678" in page and "jeanne@example.com" in page
    assert "Outage in your area. We are on it." in page
    detail = ops_client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert ">Pause</button>" in detail and ">Cancel</button>" in detail
    assert ">Resume</button>" not in detail


def test_pause_button_pauses_and_records(ops_client, sent):
    """POSTing pause pauses the send, shows Resume and records who paused."""
    campaign, send = sent
    response = ops_client.post(reverse("campaigns:pause", args=[campaign.pk]), follow=True)
    send.refresh_from_db()
    assert send.state == Send.State.PAUSED
    page = response.content.decode()
    assert ">Resume</button>" in page and 'data-action="paused"' in page and "olivia" in page


def test_actions_need_post(ops_client, sent):
    """A GET on an action URL does nothing."""
    assert ops_client.get(reverse("campaigns:pause", args=[sent[0].pk])).status_code == 405


def test_progress_json_and_partial(ops_client, sent):
    """The progress endpoint answers JSON for scripts and a polling partial for htmx."""
    campaign, _ = sent
    url = reverse("campaigns:progress", args=[campaign.pk])
    data = ops_client.get(url, {"format": "json"}).json()
    assert data["by_state"] == {"delivered": 2, "pending": 2, "undeliverable": 1}
    assert data["by_channel"]["email"] == {"delivered": 1}
    assert data["complete"] is False and data["state"] == "sending"
    partial = ops_client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1500ms"' in partial
    assert data["timeline"]["accepted"][-1] == 3 and data["timeline"]["delivered"][-1] == 2


def test_progress_partial_stops_polling_when_complete(ops_client):
    """A finished send's partial carries no trigger, so htmx stops polling."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {S.DELIVERED: 2})
    partial = ops_client.get(reverse("campaigns:progress", args=[campaign.pk])).content.decode()
    assert "hx-trigger" not in partial and "100.0%" in partial


def test_test_sends_are_listed_apart(ops_client, sent):
    """A test send appears in its own section and not in the counts."""
    campaign, _ = sent
    _, test_send = campaign_with_send(campaign=campaign, role="test")
    add_messages(test_send, {S.DELIVERED: 7})
    data = ops_client.get(reverse("campaigns:progress", args=[campaign.pk]), {"format": "json"}).json()
    assert data["total"] == 5
    page = ops_client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert 'id="test-sends"' in page and ">7</td>" in page


def test_recipients_keyset_pagination_and_search(ops_client):
    """Recipients come 50 at a time by id; Next and Previous walk the pages; search narrows them."""
    campaign, send = campaign_with_send()
    messages = add_messages(send, {S.DELIVERED: 55})
    url = reverse("campaigns:recipients", args=[campaign.pk])
    first = ops_client.get(url)
    assert len(first.context["rows"]) == 50 and first.context["has_more"] and not first.context["has_previous"]
    second = ops_client.get(url, {"after": first.context["last_id"]})
    assert [m.pk for m in second.context["rows"]] == [m.pk for m in messages[50:]]
    assert not second.context["has_more"] and second.context["has_previous"]
    back = ops_client.get(url, {"before": second.context["first_id"]})
    assert [m.pk for m in back.context["rows"]] == [m.pk for m in messages[:50]]
    found = ops_client.get(url, {"q": messages[3].client.external_ref})
    assert [m.pk for m in found.context["rows"]] == [messages[3].pk] and found.context["total"] == 1


def test_failures_page_groups_and_retries(ops_client):
    """The failure section groups by reason and its Retry button requeues failed messages only."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {S.DELIVERED: 2, S.FAILED: 2, S.REJECTED: 1})
    page = ops_client.get(reverse("campaigns:failures", args=[campaign.pk])).content.decode()
    assert 'data-reason="REJECTED_DESTINATION"' in page and 'data-reason="engine"' in page
    response = ops_client.post(reverse("campaigns:retry", args=[campaign.pk]), follow=True)
    assert "2 message(s) queued again." in response.content.decode()
    assert send.messages.filter(state=S.PENDING).count() == 2
    assert send.messages.filter(state=S.REJECTED).count() == 1


def test_follow_up_opens_the_wizard_on_the_new_draft(ops_client, sent):
    """'Send resolved' creates a draft follow-up and redirects to the outage form for it."""
    campaign, _ = sent
    response = ops_client.post(reverse("campaigns:follow_up", args=[campaign.pk]), {"kind": "resolved"})
    draft = Campaign.objects.get(parent=campaign)
    assert response.status_code == 302
    assert response["Location"] == reverse("campaigns:wizard", args=[draft.pk, draft.wizard_step])
    assert draft.kind == IncidentKind.RESOLVED and draft.incident_id == campaign.incident_id


def test_list_filters_and_links_drafts_to_the_wizard(ops_client, sent):
    """The list shows each notice's live state; drafts link to the wizard at their step."""
    campaign, _ = sent
    draft = CampaignFactory(state=Campaign.State.DRAFT, title="Half-written", wizard_step="message")
    page = ops_client.get(reverse("campaigns:list")).content.decode()
    assert reverse("campaigns:wizard", args=[draft.pk, "message"]) in page
    assert reverse("campaigns:detail", args=[campaign.pk]) in page
    filtered = ops_client.get(reverse("campaigns:list"), {"state": "draft"})
    assert [c.pk for c in filtered.context["campaigns"]] == [draft.pk]


def test_incident_page_shows_the_thread(ops_client, sent):
    """The incident page lists each notice of the incident with its delivery summary and events."""
    campaign, _ = sent
    follow = CampaignFactory(incident=campaign.incident, parent=campaign, kind=IncidentKind.UPDATE, title="Update one")
    CampaignEvent.objects.create(campaign=follow, action="drafted")
    page = ops_client.get(reverse("campaigns:incident", args=[campaign.incident_id])).content.decode()
    assert f'data-campaign="{campaign.pk}"' in page and f'data-campaign="{follow.pk}"' in page
    assert "2 delivered" in page and "Drafted" in page


def test_home_dashboard_shows_sends_in_progress(ops_client, sent):
    """The dashboard keeps its heading and New notice button and lists the notice being sent."""
    campaign, _ = sent
    page = ops_client.get(reverse("home")).content.decode()
    assert '<h1 class="h3 mb-0">Dashboard</h1>' in page and "New outage notice" in page
    assert f'data-campaign="{campaign.pk}"' in page

"""Issue 13 item 6: a dashboard that tells the truth. Drafts are not open incidents (an incident opens when its first
notice goes out); drafts have their own list and can be discarded (recorded); "Duplicate this notice" starts a new
draft; "Retry" shows only when there is something to retry, with the count; every staff page warns when no worker
has been seen for a minute or the provider has been failing."""

import importlib
import time
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignEvent, Incident
from campaigns.selectors.dashboard import dashboard_data
from campaigns.services.door import campaign_confirm
from campaigns.services.drafts import campaign_draft_create
from notifications.models import Message, ProviderCall, Send
from outage_portal.heartbeat import worker_heartbeat_write
from tests.factories import BucketFactory, ClientFactory, UserFactory
from tests.tracking.factories import CampaignFactory, add_messages, campaign_with_send

pytestmark = pytest.mark.django_db

CONTENT = {"en": {"sms": {"text": "{{ client_name }}: fibre cut."}}}


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def olivia(client):
    user = UserFactory(username="olivia", groups=["Ops"])
    client.force_login(user)
    return user


def draft_for(user, title="Fibre cut, Lyon"):
    bucket = BucketFactory()
    bucket.clients.add(ClientFactory(), ClientFactory())
    draft = campaign_draft_create(
        incident_fields={"title": title},
        kind="outage",
        title=title,
        audience={"buckets": [bucket.pk]},
        channels=["sms"],
        content=CONTENT,
        created_by=user,
    )
    return draft


def test_a_draft_is_not_an_open_incident_until_its_notice_goes_out(olivia, client):
    draft = draft_for(olivia)
    assert draft.incident.status == Incident.Status.DRAFT
    data = dashboard_data()
    assert data["counts"]["open_incidents"] == 0 and data["counts"]["drafts"] == 1
    assert [d.pk for d in data["drafts"]] == [draft.pk]
    campaign_confirm(campaign=draft, actor=olivia)
    draft.incident.refresh_from_db()
    assert draft.incident.status == Incident.Status.OPEN
    data = dashboard_data()
    assert data["counts"]["open_incidents"] == 1 and data["counts"]["drafts"] == 0


def test_drafts_have_their_own_list_and_are_discarded_on_the_record(olivia, client):
    draft = draft_for(olivia)
    page = client.get(reverse("campaigns:drafts")).content.decode()
    assert draft.title in page and reverse("campaigns:discard", args=[draft.pk]) in page
    response = client.post(reverse("campaigns:discard", args=[draft.pk]))
    assert response.status_code == 302 and response.url == reverse("campaigns:drafts")
    draft.refresh_from_db()
    assert draft.state == Campaign.State.DISCARDED
    event = CampaignEvent.objects.get(campaign=draft, action="discarded")
    assert event.actor == olivia
    assert "discarded; nothing was sent" in client.get(response.url).content.decode()
    assert draft.title not in client.get(reverse("campaigns:drafts")).content.decode()
    assert draft.title not in client.get(reverse("campaigns:list")).content.decode()
    assert dashboard_data()["counts"]["open_incidents"] == 0


def test_only_the_author_or_an_incident_lead_discards_a_draft(olivia, client):
    draft = draft_for(olivia)
    client.force_login(UserFactory(username="oscar", groups=["Ops"]))
    assert client.post(reverse("campaigns:discard", args=[draft.pk])).status_code == 403
    client.force_login(UserFactory(username="lena", groups=["Ops", "Incident leads"]))
    assert client.post(reverse("campaigns:discard", args=[draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.state == Campaign.State.DISCARDED


def test_duplicate_a_past_notice_into_a_new_incident_or_the_same(olivia, client):
    """A notice of a resolved incident starts a new incident; one of an open incident stays in it."""
    past, _send = campaign_with_send(
        send_state=Send.State.COMPLETED,
        campaign=CampaignFactory(
            created_by=olivia,
            state=Campaign.State.COMPLETED,
            validity_hours=6,
            pace_per_minute=300,
            failover=["sms", "email"],
            failover_wait_minutes=7,
        ),
    )
    Incident.objects.filter(pk=past.incident_id).update(status=Incident.Status.RESOLVED)
    response = client.post(reverse("campaigns:duplicate", args=[past.pk]))
    copy = Campaign.objects.exclude(pk=past.pk).get()
    assert response.url == reverse("campaigns:wizard", args=[copy.pk, "incident"])
    assert copy.state == Campaign.State.DRAFT and copy.incident_id != past.incident_id
    assert copy.incident.status == Incident.Status.DRAFT and copy.incident.title == past.incident.title
    assert (copy.content, copy.audience, copy.channels) == (past.content, past.audience, past.channels)
    assert (copy.validity_hours, copy.pace_per_minute) == (6, 300)  # how long it is worth sending, and how fast
    assert (copy.failover, copy.failover_wait_minutes) == (["sms", "email"], 7)  # and its failover chain
    assert copy.wizard_step == "preview" and copy.created_by == olivia
    assert CampaignEvent.objects.filter(campaign=past, action="duplicated").exists()
    Incident.objects.filter(pk=past.incident_id).update(status=Incident.Status.OPEN)
    response = client.post(reverse("campaigns:duplicate", args=[past.pk]))
    again = Campaign.objects.exclude(pk__in=[past.pk, copy.pk]).get()
    assert again.incident_id == past.incident_id
    assert response.url == reverse("campaigns:wizard", args=[again.pk, "audience"])


def test_retry_is_offered_only_when_something_failed_with_the_count(olivia, client):
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {Message.State.DELIVERED: 3})
    html = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert "Retry" not in html
    failures = client.get(reverse("campaigns:failures", args=[campaign.pk])).content.decode()
    assert 'id="retry-failures-button"' not in failures and "Nothing to retry" in failures
    add_messages(send, {Message.State.FAILED: 2, Message.State.UNDELIVERABLE: 1})
    html = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert "Retry 2 failed messages" in html
    failures = client.get(reverse("campaigns:failures", args=[campaign.pk])).content.decode()
    assert "Retry 2 failed messages" in failures and "Also retry the 1 undeliverable messages" in failures


def test_every_staff_page_warns_when_no_worker_was_seen(olivia, client):
    for url in (reverse("home"), reverse("campaigns:list"), reverse("campaigns:new")):
        html = client.get(url).content.decode()
        assert 'data-warning="worker"' in html and "No worker has been seen" in html
    cache.clear()
    worker_heartbeat_write(hostname="w1")
    assert 'data-warning="worker"' not in client.get(reverse("home")).content.decode()
    cache.clear()
    worker_heartbeat_write(hostname="w1", at=time.time() - 180)
    assert "No worker has been seen for 3 minutes" in client.get(reverse("home")).content.decode()


def test_every_staff_page_warns_when_the_provider_has_been_failing(olivia, client):
    worker_heartbeat_write(hostname="w1")
    ProviderCall.objects.create(channel="sms", message_count=10, outcome="accepted", http_status=200)
    for _ in range(3):
        ProviderCall.objects.create(channel="sms", message_count=10, outcome="retryable", http_status=503)
    html = client.get(reverse("campaigns:list")).content.decode()
    assert 'data-warning="provider"' in html and "3 of the last 4 requests" in html and "HTTP 503" in html
    cache.clear()
    ProviderCall.objects.create(channel="sms", message_count=10, outcome="accepted", http_status=200)
    assert 'data-warning="provider"' not in client.get(reverse("campaigns:list")).content.decode()
    cache.clear()
    old = timezone.now() - timedelta(minutes=10)
    ProviderCall.objects.all().delete()
    for _ in range(5):
        ProviderCall.objects.create(channel="sms", message_count=1, outcome="permanent", at=old)
    assert 'data-warning="provider"' not in client.get(reverse("campaigns:list")).content.decode()


def test_the_warning_is_cached_and_never_shown_to_visitors(olivia, client, django_assert_max_num_queries):
    client.get(reverse("home"))
    ProviderCall.objects.create(channel="sms", message_count=1, outcome="retryable")
    with django_assert_max_num_queries(40) as queries:
        client.get(reverse("campaigns:list"))
    assert not any("notifications_providercall" in q["sql"] for q in queries.captured_queries)
    client.logout()
    assert 'data-warning="worker"' not in client.get(reverse("login")).content.decode()


def test_the_migration_makes_incidents_with_nothing_sent_drafts(olivia):
    """Existing open incidents with only drafts (or notices cancelled before they went out) become drafts."""
    migration = importlib.import_module("campaigns.migrations.0008_drafts_defaults_discarded")
    abandoned = draft_for(olivia, "Abandoned")
    sent = draft_for(olivia, "Sent")
    Incident.objects.update(status=Incident.Status.OPEN)
    Campaign.objects.filter(pk=sent.pk).update(state=Campaign.State.COMPLETED, sent_at=timezone.now())
    migration.unsent_incidents_to_draft(apps, None)
    assert Incident.objects.get(pk=abandoned.incident_id).status == Incident.Status.DRAFT
    assert Incident.objects.get(pk=sent.incident_id).status == Incident.Status.OPEN

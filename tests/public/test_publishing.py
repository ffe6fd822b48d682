"""Publishing: a notice going out publishes its incident's page and status page entry; follow-ups update it, a
resolved notice resolves it, and staff can hide it or preview it."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse

from campaigns.models import Incident, PublicUpdate
from campaigns.services import incidents, publishing
from tests.public.helpers import follow_up, forget_local_caches, incident_of, notice

pytestmark = pytest.mark.django_db


def page(client, url: str, **headers) -> str:
    response = client.get(url, **headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_first_notice_publishes_the_incident_page_with_its_facts(client, ops, audience):
    campaign = notice(
        actor=ops,
        clients=audience,
        regions=["Lyon", "Villeurbanne"],
        public_text={"en": "Calls and SMS are failing in Lyon north since 14:05. Engineers are on site."},
    )
    incident = incident_of(campaign)
    assert incident.public_id and len(incident.public_id) == publishing.PUBLIC_ID_LENGTH
    assert incident.public_state == "investigating" and incident.published_at is not None
    html = page(client, reverse("public:incident", args=[incident.public_id]) + "?lang=en")
    for expected in (
        "Fibre cut in Lyon",
        "Investigating",
        "SMS service",
        "Lyon, Villeurbanne",
        "Engineers are on site",
    ):
        assert expected in html
    status = page(client, reverse("public:status") + "?lang=en")
    assert "Fibre cut in Lyon" in status and "Current incidents" in status
    assert "Some services are disrupted" in status


def test_follow_up_adds_an_update_and_the_cached_page_changes(client, ops, audience):
    first = notice(actor=ops, clients=audience, public_text={"en": "We are looking into it."})
    incident = incident_of(first)
    url = reverse("public:incident", args=[incident.public_id]) + "?lang=en"
    assert "We are looking into it." in page(client, url)
    page(client, url)  # now served from the cache
    follow_up(
        first,
        actor=ops,
        kind="update",
        public_text={"en": "Cable spliced, traffic coming back."},
        public_state="monitoring",
    )
    html = page(client, url)
    assert "Cable spliced, traffic coming back." in html and "Monitoring" in html
    assert html.index("Cable spliced") < html.index("We are looking into it.")  # newest first
    assert list(PublicUpdate.objects.filter(incident=incident).values_list("state", flat=True)) == [
        "investigating",
        "monitoring",
    ]


def test_resolved_notice_resolves_the_page_and_moves_it_to_the_history(client, ops, audience):
    first = notice(actor=ops, clients=audience)
    incident = incident_of(first)
    status_url = reverse("public:status") + "?lang=en"
    assert "Some services are disrupted" in page(client, status_url)
    follow_up(first, actor=ops, kind="resolved")
    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED and incident.public_state == "resolved"
    html = page(client, reverse("public:incident", args=[incident.public_id]) + "?lang=en")
    assert "This incident is resolved." in html and "Resolved" in html
    status = page(client, status_url)
    assert "All services are running normally." in status
    assert status.index("Fibre cut in Lyon") > status.index("The last 30 days")


def test_resolving_by_hand_publishes_a_resolved_update_once(client, ops, audience):
    incident = incident_of(notice(actor=ops, clients=audience))
    with TestCase.captureOnCommitCallbacks(execute=True):
        incidents.incident_resolve(incident=incident, actor=ops)
        incidents.incident_resolve(incident=incident, actor=ops)
    assert list(incident.public_updates.values_list("state", flat=True)) == ["investigating", "resolved"]


def test_a_private_incident_has_no_page_and_is_not_listed(client, ops, audience):
    campaign = notice(actor=ops, clients=audience)
    incident = incident_of(campaign)
    url = reverse("public:incident", args=[incident.public_id])
    assert client.get(url).status_code == 200
    with TestCase.captureOnCommitCallbacks(execute=True):
        publishing.incident_visibility_set(incident=incident, is_public=False, actor=ops)
    assert client.get(url).status_code == 404
    assert client.get(reverse("public:incident_feed", args=[incident.public_id, "atom"])).status_code == 404
    for listing in (reverse("public:status"), reverse("public:status_feed", args=["atom"])):
        assert "Fibre cut in Lyon" not in client.get(listing).content.decode()


PLAIN = {"en": {"sms": {"text": "Fibre cut."}, "email": {"subject": "Cut", "text": "Cut"}}}


def test_later_notices_of_a_hidden_incident_publish_nothing(ops, audience):
    campaign = notice(actor=ops, clients=audience, content=PLAIN)
    publishing.incident_visibility_set(incident=incident_of(campaign), is_public=False, actor=ops)
    second = follow_up(campaign, actor=ops, kind="update", content=PLAIN)
    assert not PublicUpdate.objects.filter(campaign=second).exists()


def test_a_message_with_the_link_cannot_go_out_when_the_page_is_off(ops, audience):
    from campaigns.services.starting import CampaignNotReady

    campaign = notice(actor=ops, clients=audience, content=PLAIN)
    publishing.incident_visibility_set(incident=incident_of(campaign), is_public=False, actor=ops)
    with pytest.raises(CampaignNotReady, match="incident_link"):
        follow_up(campaign, actor=ops, kind="update")


def test_maintenance_shows_its_window(client, ops, audience):
    from datetime import timedelta

    from django.utils import timezone

    start = timezone.now() + timedelta(days=1)
    campaign = notice(
        actor=ops,
        clients=audience,
        kind="maintenance",
        title="Core router upgrade",
        incident_fields={"started_at": start, "expected_resolution_at": start + timedelta(hours=2)},
    )
    incident = incident_of(campaign)
    assert incident.public_state == "scheduled"
    html = page(client, reverse("public:incident", args=[incident.public_id]) + "?lang=en")
    assert "Maintenance window" in html and "Scheduled" in html
    status = page(client, reverse("public:status") + "?lang=en")
    assert "Planned maintenance" in status and "All services are running normally." in status


def test_staff_preview_shows_the_draft_update_before_it_is_published(client, ops, audience):
    from campaigns.services.followups import campaign_follow_up

    first = notice(actor=ops, clients=audience, public_text={"en": "Looking into it."})
    draft = campaign_follow_up(campaign=first, kind="update", actor=ops)
    draft.public_text = {"en": "Fix deployed, watching."}
    draft.public_state = "monitoring"
    draft.save()
    url = reverse("public:incident_preview", args=[first.incident_id]) + f"?notice={draft.pk}&lang=en"
    assert client.get(url).status_code == 302  # staff only
    client.force_login(ops)
    html = page(client, url)
    assert "Preview for staff" in html and "Fix deployed, watching." in html and "Looking into it." in html
    public = page(client, reverse("public:incident", args=[incident_of(first).public_id]) + "?lang=en")
    assert "Fix deployed, watching." not in public


def test_the_status_page_keeps_thirty_days_of_history(client, ops, audience):
    from datetime import timedelta

    from django.utils import timezone

    from campaigns.models import Incident

    old, recent = (incident_of(notice(actor=ops, clients=audience, title=title)) for title in ("Old cut", "Recent cut"))
    now = timezone.now()
    for incident, days in ((old, 40), (recent, 10)):
        with TestCase.captureOnCommitCallbacks(execute=True):
            incidents.incident_resolve(incident=incident, actor=ops)
        Incident.objects.filter(pk=incident.pk).update(
            started_at=now - timedelta(days=days, hours=2), resolved_at=now - timedelta(days=days)
        )
    forget_local_caches()
    from django.core.cache import cache

    cache.clear()
    status = page(client, reverse("public:status") + "?lang=en")
    assert "Recent cut" in status and "Old cut" not in status

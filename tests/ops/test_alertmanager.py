"""Alertmanager webhooks: firing groups become drafts for the mapped audience; resolved groups, resolved follow-ups."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient

from campaigns.models import AlertLink, Campaign, CampaignSend, Incident
from tests.factories import BucketFactory, ClientFactory, SegmentFactory
from tests.ops.factories import AlertRouteFactory, token_with
from tests.tracking.factories import SendFactory, add_messages
from tests.wizard.factories import TemplateVersionFactory

pytestmark = pytest.mark.django_db


def payload(status: str = "firing", group_key: str = '{}:{service="fibre"}', **labels) -> dict:
    """An Alertmanager v4 webhook body with one alert."""
    common = {"alertname": "FibreDown", "service": "fibre", "severity": "critical", **labels}
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "outage-portal",
        "groupLabels": {"service": common["service"]},
        "commonLabels": common,
        "commonAnnotations": {"summary": "Fibre down in the North", "description": "OLT north-3 unreachable"},
        "externalURL": "http://alertmanager:9093",
        "alerts": [
            {
                "status": status,
                "labels": common,
                "annotations": {"summary": "Fibre down in the North"},
                "startsAt": "2026-05-03T14:05:00.123456789Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus:9090/graph",
                "fingerprint": "c0ffee",
            }
        ],
    }


def deliver(body, token: str):
    return HttpClient().post(
        "/api/v1/alertmanager",
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


@pytest.fixture
def raw_token() -> str:
    return token_with("can_create_draft", name="Alertmanager")[1]


@pytest.fixture
def route():
    north, south = BucketFactory(name="North", slug="north"), BucketFactory(name="South", slug="south")
    return AlertRouteFactory(
        name="Fibre",
        matchers={"service": "fibre"},
        buckets=[north, south],
        channels=["sms", "email"],
        kind="outage",
        template=TemplateVersionFactory(template__name="Fibre first notice").template,
    )


def test_firing_group_opens_an_incident_and_a_draft_for_the_routes_buckets(route, raw_token):
    """A firing alert matching the route → 201, one incident and one draft with the route's buckets and template."""
    response = deliver(payload(), raw_token)
    assert response.status_code == 201, response.content
    assert response.json()["action"] == "drafted"
    campaign = Campaign.objects.get()
    assert campaign.state == Campaign.State.DRAFT
    assert campaign.audience == {"buckets": sorted(route.buckets.values_list("pk", flat=True))}
    assert campaign.channels == ["sms", "email"] and campaign.template == route.template
    incident = campaign.incident
    assert incident.title == "Fibre down in the North"
    assert incident.severity == "critical" and incident.services == ["fibre"]
    assert incident.started_at.isoformat().startswith("2026-05-03T14:05:00.123456")
    assert "OLT north-3 unreachable" in incident.internal_note
    assert AlertLink.objects.get().campaign == campaign
    assert campaign.source == Campaign.Source.ALERT and "route" in campaign.source_detail


def test_repeated_firing_notifications_change_nothing(route, raw_token):
    """Alertmanager's repeats of a firing group return the same draft and create nothing new."""
    first = deliver(payload(), raw_token).json()
    again = deliver(payload(), raw_token)
    assert again.status_code == 200
    assert again.json()["action"] == "existing" and again.json()["notice"]["id"] == first["notice"]["id"]
    assert Campaign.objects.count() == 1 and Incident.objects.count() == 1


def test_routes_are_tried_by_priority_and_need_every_matcher(raw_token):
    """The first active route whose matchers all fit wins; a partial match does not count."""
    segment = SegmentFactory(name="Business")
    AlertRouteFactory(
        name="North fibre", priority=1, matchers={"service": "fibre", "region": "north"}, buckets=[BucketFactory()]
    )
    AlertRouteFactory(
        name="Inactive", priority=2, matchers={"service": "fibre"}, active=False, buckets=[BucketFactory()]
    )
    AlertRouteFactory(name="Any fibre", priority=3, matchers={"service": "fib.*"}, match_regex=True, segment=segment)
    response = deliver(payload(region="south"), raw_token)
    assert response.status_code == 201
    assert Campaign.objects.get().audience == {"segment": segment.pk}


def test_a_group_no_route_matches_is_ignored(route, raw_token):
    """Unmatched labels → 200 "ignored", no incident, no draft."""
    response = deliver(payload(service="dns", group_key="dns-group"), raw_token)
    assert response.status_code == 200 and response.json()["action"] == "ignored"
    assert Campaign.objects.count() == 0 and Incident.objects.count() == 0


def test_resolved_after_a_sent_notice_drafts_a_follow_up_for_its_recipients(route, raw_token):
    """Resolved → a draft "resolved" follow-up of the last notice, for exactly the clients it reached."""
    first = Campaign.objects.get(pk=deliver(payload(), raw_token).json()["notice"]["id"])
    Campaign.objects.filter(pk=first.pk).update(state=Campaign.State.SENDING)
    send = SendFactory()
    CampaignSend.objects.create(campaign=first, send=send, role=CampaignSend.Role.MAIN)
    reached = ClientFactory.create_batch(2)
    add_messages(send, {"delivered": 2}, clients=list(reached))
    response = deliver(payload(status="resolved"), raw_token)
    assert response.status_code == 201, response.content
    assert response.json()["action"] == "resolved_drafted"
    follow_up = Campaign.objects.exclude(pk=first.pk).get()
    assert follow_up.kind == "resolved" and follow_up.state == Campaign.State.DRAFT
    assert follow_up.parent == first and follow_up.incident == first.incident
    assert sorted(follow_up.audience["clients"]) == sorted(client.pk for client in reached)
    assert follow_up.source == Campaign.Source.ALERT
    link = AlertLink.objects.get()
    assert link.resolved_at is not None and link.resolved_campaign == follow_up


def test_resolved_before_anything_was_sent_drafts_a_resolved_notice_with_the_template(route, raw_token):
    """If the first draft was never sent, the resolved draft keeps its audience and uses the resolved template."""
    route.resolved_template = TemplateVersionFactory(template__name="Fibre resolved", sms_text="Fixed.").template
    route.save()
    deliver(payload(), raw_token)
    response = deliver(payload(status="resolved"), raw_token)
    assert response.status_code == 201
    resolved = Campaign.objects.get(kind="resolved")
    assert resolved.audience == Campaign.objects.get(kind="outage").audience
    assert resolved.template == route.resolved_template and resolved.content["en"]["sms"]["text"] == "Fixed."


def test_resolved_without_an_open_group_is_ignored_and_a_new_firing_opens_a_new_incident(route, raw_token):
    """After resolution the group is closed: a second resolved is ignored, a new firing starts over."""
    deliver(payload(), raw_token)
    deliver(payload(status="resolved"), raw_token)
    assert deliver(payload(status="resolved"), raw_token).json()["action"] == "ignored"
    assert deliver(payload(), raw_token).json()["action"] == "drafted"
    assert Incident.objects.count() == 2


def test_route_sends_without_review_only_for_an_allowed_token(route, raw_token):
    """A route marked "send without review" still leaves a draft when the token lacks the permission."""
    route.send_without_review = True
    route.save()
    body = deliver(payload(), raw_token).json()
    assert body["sent"] is False and "may not" in body["send_error"]
    assert Campaign.objects.get().state == Campaign.State.DRAFT


def test_invalid_payloads_are_400_with_field_paths(raw_token):
    """Wrong version, status, missing group key and bad labels are reported at their paths."""
    response = deliver(
        {"version": "3", "status": "burning", "alerts": [{"labels": {"a": 1, "b": "\udc00"}}, 7]}, raw_token
    )
    assert response.status_code == 400
    paths = {error["path"] for error in response.json()["errors"]}
    assert paths == {
        "version",
        "status",
        "groupKey",
        "alerts[0].status",
        "alerts[0].labels.a",
        "alerts[0].labels.b",
        "alerts[1]",
    }

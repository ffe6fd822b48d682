"""The monitoring API: token authentication, per-token permissions, draft creation, validation and status."""

from __future__ import annotations

import json

import pytest
from django.test import Client as HttpClient

from campaigns.models import ApiToken, Campaign, CampaignEvent, Incident
from tests.factories import BucketFactory, ClientFactory, SegmentFactory, UserFactory
from tests.ops.factories import token_with
from tests.tracking.factories import add_messages, campaign_with_send
from tests.wizard.factories import TemplateVersionFactory

pytestmark = pytest.mark.django_db


def post(path: str, body, token: str | None = None, **headers):
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return HttpClient().post(path, data=data, content_type="application/json", **headers)


def get(path: str, token: str | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return HttpClient().get(path, **headers)


@pytest.fixture
def approvers():
    return UserFactory(username="anna", groups=["Approvers"])


@pytest.fixture
def north():
    return BucketFactory(name="North", slug="north")


def notice_body(**overrides) -> dict:
    body = {"title": "Fibre outage in the North", "audience": {"buckets": ["North"]}, "channels": ["sms"]}
    body.update(overrides)
    return body


class TestAuthentication:
    def test_missing_token_is_401_with_a_bearer_challenge(self, north):
        """No Authorization header → 401 and WWW-Authenticate: Bearer; nothing is created."""
        response = post("/api/v1/notices", notice_body())
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert Campaign.objects.count() == 0

    def test_wrong_and_inactive_tokens_are_401(self, north):
        """An unknown token and a deactivated one are both refused."""
        token, raw = token_with("can_create_draft")
        assert post("/api/v1/notices", notice_body(), "opt_not-a-token").status_code == 401
        ApiToken.objects.filter(pk=token.pk).update(active=False)
        assert post("/api/v1/notices", notice_body(), raw).status_code == 401
        assert Campaign.objects.count() == 0

    def test_token_is_stored_hashed_and_marks_its_use(self, north):
        """The clear token is not in the database; a successful call sets last_used_at."""
        token, raw = token_with("can_create_draft")
        assert raw not in token.token_hash and token.prefix == raw[:10]
        assert post("/api/v1/notices", notice_body(), raw).status_code == 201
        token.refresh_from_db()
        assert token.last_used_at is not None


class TestPermissions:
    def test_create_needs_can_create_draft(self, north):
        """A token that may only read status gets 403 on create, and nothing is created."""
        _, raw = token_with("can_read_status")
        response = post("/api/v1/notices", notice_body(), raw)
        assert response.status_code == 403
        assert "can_create_draft" in response.json()["error"]
        assert Campaign.objects.count() == 0

    def test_status_needs_can_read_status(self):
        """A token that may only create drafts gets 403 on a notice's status."""
        campaign, _ = campaign_with_send()
        _, raw = token_with("can_create_draft")
        assert get(f"/api/v1/notices/{campaign.pk}", raw).status_code == 403

    def test_alertmanager_needs_can_create_draft(self):
        """The Alertmanager endpoint refuses a read-only token."""
        _, raw = token_with("can_read_status")
        response = post("/api/v1/alertmanager", {"status": "firing", "groupKey": "g", "alerts": []}, raw)
        assert response.status_code == 403

    def test_send_without_review_is_refused_without_the_permission(self, north):
        """`send: true` from a token lacking can_send_without_review → 403 and no draft at all."""
        _, raw = token_with("can_create_draft")
        response = post("/api/v1/notices", notice_body(send=True), raw)
        assert response.status_code == 403
        assert Campaign.objects.count() == 0

    def test_wrong_method_is_405(self):
        """GET on the create endpoint answers 405 with Allow: POST."""
        _, raw = token_with("can_create_draft", "can_read_status")
        response = get("/api/v1/notices", raw)
        assert response.status_code == 405 and response["Allow"] == "POST"


class TestCreateDraft:
    def test_creates_a_draft_with_incident_audience_channels_template_and_variables(self):
        """201 with the id and links; the draft holds the mapped buckets, segment and the template's content."""
        north, south = BucketFactory(name="North", slug="north"), BucketFactory(name="South", slug="south")
        segment = SegmentFactory(name="Key accounts")
        version = TemplateVersionFactory(template__name="Outage first notice")
        _, raw = token_with("can_create_draft")
        response = post(
            "/api/v1/notices",
            {
                "title": "Fibre outage",
                "kind": "degraded",
                "incident": {"services": ["fibre"], "severity": "critical", "started_at": "2026-05-03T14:10:00Z"},
                "audience": {"buckets": ["North", south.pk, "north"], "segment": "Key accounts"},
                "channels": ["sms", "email", "sms"],
                "template": "Outage first notice",
                "variables": {"status_page": "https://status.example.com"},
            },
            raw,
        )
        assert response.status_code == 201, response.content
        body = response.json()
        campaign = Campaign.objects.get(pk=body["id"])
        assert body["state"] == "draft" and body["sent"] is False
        assert campaign.state == Campaign.State.DRAFT
        assert campaign.audience == {"buckets": sorted([north.pk, south.pk]), "segment": segment.pk}
        assert campaign.channels == ["sms", "email"]
        assert campaign.template == version.template and campaign.content["en"]["sms"]["text"] == version.sms_text
        assert campaign.variables["status_page"] == "https://status.example.com"
        assert campaign.kind == "degraded"
        incident = campaign.incident
        assert incident.services == ["fibre"] and incident.severity == "critical"
        assert incident.started_at.isoformat().startswith("2026-05-03T14:10:00")
        assert body["urls"]["self"].endswith(f"/api/v1/notices/{campaign.pk}")
        assert f"/campaigns/{campaign.pk}/" in body["urls"]["detail"]
        assert response["Location"] == body["urls"]["self"]
        assert CampaignEvent.objects.filter(campaign=campaign, action="drafted", detail__contains="monitoring").exists()
        assert campaign.source == Campaign.Source.API and body["source"] == "api"
        assert "monitoring" in campaign.source_detail and campaign.created_by is None

    def test_attaches_to_an_existing_incident(self, north):
        """incident_id puts the draft in that incident's thread instead of opening a new one."""
        incident = Incident.objects.create(title="Existing")
        _, raw = token_with("can_create_draft")
        response = post("/api/v1/notices", notice_body(incident_id=incident.pk, kind="update"), raw)
        assert response.status_code == 201
        assert Campaign.objects.get().incident == incident and Incident.objects.count() == 1

    def test_invalid_input_lists_every_error_at_its_path(self, north):
        """Unknown bucket, bad channel, bad date, unknown variable and unknown field each get their own path."""
        _, raw = token_with("can_create_draft")
        response = post(
            "/api/v1/notices",
            {
                "title": "",
                "audience": {"buckets": ["North", "Nroth", 0]},
                "channels": ["sms", "fax"],
                "incident": {"started_at": "yesterday", "severity": "apocalyptic"},
                "variables": {"client_secret": "x"},
                "template": "No such template",
                "colour": "red",
            },
            raw,
        )
        assert response.status_code == 400
        paths = {error["path"] for error in response.json()["errors"]}
        assert paths == {
            "title",
            "audience.buckets[1]",
            "audience.buckets[2]",
            "channels[1]",
            "incident.started_at",
            "incident.severity",
            "variables.client_secret",
            "template",
            "colour",
        }
        assert Campaign.objects.count() == 0

    @pytest.mark.parametrize("body", [b"{not json", b"[]", b'"text"', b"\xff\xfe", b"", b"null"])
    def test_malformed_bodies_are_400_never_500(self, body):
        """Broken JSON, non-objects and bad encodings answer 400 with a message."""
        _, raw = token_with("can_create_draft")
        response = post("/api/v1/notices", body, raw)
        assert response.status_code == 400
        assert response.json()["errors"][0]["path"] == ""

    def test_values_postgres_cannot_store_are_refused(self, north):
        """NUL characters, lone surrogates, ids beyond bigint and out-of-range times are 400, not a database error."""
        _, raw = token_with("can_create_draft")
        response = post(
            "/api/v1/notices",
            notice_body(
                title="a\x00b",
                audience={"buckets": [2**70]},
                incident={
                    "internal_note": "half \ud800 a pair",
                    "started_at": "9999-12-31T23:59:59-23:59",
                    "expected_resolution_at": "0001-01-01T00:00+05:00",
                },
            ),
            raw,
        )
        assert response.status_code == 400
        assert {error["path"] for error in response.json()["errors"]} == {
            "title",
            "audience.buckets[0]",
            "incident.internal_note",
            "incident.started_at",
            "incident.expected_resolution_at",
        }

    def test_send_without_review_confirms_the_notice(self):
        """A token with can_send_without_review and `send: true` confirms the notice: it leaves the draft state."""
        bucket = BucketFactory(name="North", slug="north")
        for client in ClientFactory.create_batch(2):
            bucket.clients.add(client)
        TemplateVersionFactory(template__name="Outage first notice")
        _, raw = token_with("can_create_draft", "can_send_without_review")
        response = post("/api/v1/notices", notice_body(template="Outage first notice", send=True), raw)
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["sent"] is True and body["state"] in ("sending", "scheduled")
        campaign = Campaign.objects.get(pk=body["id"])
        assert campaign.campaign_sends.filter(role="main").exists()

    @pytest.mark.usefixtures("approvers")
    def test_send_without_review_above_the_threshold_waits_for_approval(self, settings):
        """The API goes through the same door: above the threshold the notice waits and the approvers are told."""
        settings.APPROVAL_THRESHOLD = 1
        bucket = BucketFactory(name="North", slug="north")
        for client in ClientFactory.create_batch(2):
            bucket.clients.add(client)
        TemplateVersionFactory(template__name="Outage first notice")
        _, raw = token_with("can_create_draft", "can_send_without_review")
        response = post("/api/v1/notices", notice_body(template="Outage first notice", send=True), raw)
        body = response.json()
        assert response.status_code == 201 and body["sent"] is False and "approval" in body["send_error"]
        campaign = Campaign.objects.get(pk=body["id"])
        assert campaign.state == Campaign.State.AWAITING_APPROVAL and not campaign.campaign_sends.exists()

    def test_send_without_review_keeps_the_draft_when_it_is_not_ready(self, north):
        """Without content the confirm fails: the draft stays a draft and the answer says why."""
        _, raw = token_with("can_create_draft", "can_send_without_review")
        response = post("/api/v1/notices", notice_body(send=True), raw)
        assert response.status_code == 201
        body = response.json()
        assert body["sent"] is False and body["state"] == "draft" and body["send_error"]


class TestStatus:
    def test_status_reports_state_and_progress_of_the_main_send(self):
        """GET returns the campaign's live state and its main send's counts by state."""
        campaign, send = campaign_with_send()
        add_messages(send, {"delivered": 3, "pending": 1})
        _, raw = token_with("can_read_status")
        response = get(f"/api/v1/notices/{campaign.pk}", raw)
        assert response.status_code == 200
        body = response.json()
        assert body["id"] == campaign.pk and body["state"] == "sending"
        assert body["progress"]["total"] == 4 and body["progress"]["by_state"] == {"delivered": 3, "pending": 1}

    def test_a_draft_has_no_progress_yet(self):
        """A notice not yet sent answers progress null."""
        campaign = Campaign.objects.create(incident=Incident.objects.create(title="x"), title="x")
        _, raw = token_with("can_read_status")
        body = get(f"/api/v1/notices/{campaign.pk}", raw).json()
        assert body["state"] == "draft" and body["progress"] is None

    def test_unknown_and_huge_ids_are_404(self):
        """A missing notice, even with an id beyond bigint, answers 404 JSON."""
        _, raw = token_with("can_read_status")
        assert get("/api/v1/notices/999999", raw).status_code == 404
        assert get(f"/api/v1/notices/{2**70}", raw).status_code == 404


def test_openapi_schema_is_served_publicly():
    """/api/openapi.json is the OpenAPI 3.1 document listing every operation (notices, alerts, app devices)."""
    response = HttpClient().get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.1")
    assert set(schema["paths"]) == {
        "/api/v1/notices",
        "/api/v1/notices/{id}",
        "/api/v1/alertmanager",
        "/api/v1/clients/{ref}/devices",
        "/api/v1/clients/{ref}/devices/remove",
    }

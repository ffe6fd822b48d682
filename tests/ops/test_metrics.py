"""/metrics: Prometheus exposition of message states, send rate, queue depth, provider errors and reports."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from notifications.models import DeliveryReport, Message, ProviderCall
from tests.factories import UserFactory
from tests.ops.factories import DeliveryReportFactory, ProviderCallFactory
from tests.tracking.factories import MessageFactory, SendFactory

pytestmark = pytest.mark.django_db

METRICS_TOKEN = "metrics-token-for-tests-0123456789"


def scrape(**headers) -> tuple[int, str]:
    response = HttpClient().get("/metrics", **headers)
    return response.status_code, response.content.decode()


def samples(text: str) -> dict[str, float]:
    """'name{labels}' → value, for every sample line."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            values[key] = float(value)
    return values


@pytest.fixture
def token(settings) -> str:
    settings.METRICS_TOKEN = METRICS_TOKEN
    return METRICS_TOKEN


class TestAccess:
    def test_anonymous_is_401_with_a_bearer_challenge(self, token):
        """No credentials → 401 and WWW-Authenticate: Bearer."""
        status, _ = scrape()
        assert status == 401

    def test_wrong_token_is_401_and_right_token_is_200(self, token):
        """Only the configured bearer token opens it."""
        assert scrape(HTTP_AUTHORIZATION="Bearer nope")[0] == 401
        status, _ = scrape(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert status == 200

    def test_an_unset_token_never_matches(self, settings):
        """With METRICS_TOKEN empty, an empty bearer value is not a way in."""
        settings.METRICS_TOKEN = ""
        assert scrape(HTTP_AUTHORIZATION="Bearer ")[0] == 401

    def test_staff_session_is_200_and_other_users_403(self):
        """A staff user reads metrics with a session; a non-staff user gets 403."""
        client = HttpClient()
        client.force_login(UserFactory(is_staff=False))
        assert client.get("/metrics").status_code == 403
        client.force_login(UserFactory(is_staff=True))
        response = client.get("/metrics")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/plain; version=0.0.4")


def test_exposition_counts_messages_rate_queue_provider_outcomes_and_reports(token):
    """Each family reports what the database holds, in valid exposition format."""
    now = timezone.now()
    send = SendFactory()
    for _ in range(3):
        MessageFactory(send=send, channel="sms", state=Message.State.DELIVERED, accepted_at=now - timedelta(seconds=20))
    MessageFactory(send=send, channel="sms", state=Message.State.ACCEPTED, accepted_at=now - timedelta(minutes=5))
    MessageFactory(send=send, channel="email", state=Message.State.PENDING)
    MessageFactory(send=send, channel="email", state=Message.State.PENDING, next_attempt_at=now - timedelta(seconds=1))
    MessageFactory(send=send, channel="email", state=Message.State.PENDING, next_attempt_at=now + timedelta(minutes=2))
    MessageFactory(send=send, channel="email", state=Message.State.FAILED)
    ProviderCallFactory(outcome=ProviderCall.Outcome.ACCEPTED, message_count=50)
    ProviderCallFactory(outcome=ProviderCall.Outcome.THROTTLED, message_count=50)
    ProviderCallFactory(outcome=ProviderCall.Outcome.THROTTLED, message_count=20)
    ProviderCallFactory(channel="email", outcome=ProviderCall.Outcome.AMBIGUOUS, message_count=7)
    DeliveryReportFactory.create_batch(2)
    DeliveryReportFactory(source=DeliveryReport.Source.PULL, is_orphan=True)

    status, text = scrape(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert status == 200
    values = samples(text)
    assert values['portal_messages{state="delivered",channel="sms"}'] == 3
    assert values['portal_messages{state="pending",channel="email"}'] == 3
    assert values['portal_messages{state="failed",channel="email"}'] == 1
    assert values['portal_messages_accepted_last_minute{channel="sms"}'] == 3
    assert values['portal_queue_depth{channel="email"}'] == 2
    assert values['portal_queue_waiting{channel="email"}'] == 1
    assert values['portal_provider_calls_total{channel="sms",outcome="throttled"}'] == 2
    assert values['portal_provider_call_messages_total{channel="sms",outcome="throttled"}'] == 70
    assert values['portal_provider_calls_total{channel="email",outcome="ambiguous"}'] == 1
    assert values['portal_delivery_reports_total{source="webhook",orphan="false"}'] == 2
    assert values['portal_delivery_reports_total{source="pull",orphan="true"}'] == 1
    assert values['portal_sends{state="sending"}'] == 1
    assert "# TYPE portal_provider_calls_total counter" in text and "# TYPE portal_queue_depth gauge" in text
    sample_line = re.compile(r'^[a-z_]+(\{([a-z_]+="[^"]*",?)+\})? -?[0-9.e+]+$')
    assert all(sample_line.match(line) for line in text.splitlines() if line and not line.startswith("#"))

"""Dispatch with two in-memory providers: batches follow the breaker, each row names its provider, an ambiguous
batch is looked up at the provider that got it before the secondary may carry it, and a failed probe costs its
messages no attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Message, Send
from notifications.providers.base import AmbiguousProviderError
from notifications.services import breaker, route
from notifications.services.claim import messages_claim
from notifications.services.deliver import batch_deliver
from notifications.services.dispatch import dispatch_run
from notifications.services.materialize import send_materialize
from notifications.services.prepare import batch_prepare
from notifications.services.pull import reports_pull
from notifications.services.reconcile import messages_reconcile
from tests.factories import ClientFactory
from tests.pipeline.factories import SendFactory
from tests.pipeline.fakes import FakeProvider

pytestmark = pytest.mark.django_db


class Named(FakeProvider):
    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


@pytest.fixture
def pair(settings, monkeypatch):
    settings.REDIS_URL = None  # the in-process breakers
    settings.PROVIDER_BREAKER_FAILURES = 2
    settings.PROVIDER_BREAKER_COOLDOWN_SECONDS = 600
    settings.DISPATCH_BATCH_SIZE = 2
    settings.DISPATCH_AMBIGUOUS_GRACE_SECONDS = 0
    settings.DISPATCH_REQUEST_MARGIN_SECONDS = 0
    primary, secondary = Named("infobip"), Named("twilio")
    monkeypatch.setattr(route, "secondary_provider", lambda channel: secondary)
    monkeypatch.setattr("notifications.services.reconcile.provider_named", lambda name, default: secondary)
    breaker.breakers_reset()
    yield primary, secondary
    breaker.breakers_reset()


def _send(n: int) -> Send:
    ClientFactory.create_batch(n)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"])
    send_materialize(send_id=send.pk)
    return send


def test_failing_primary_moves_the_channel_and_nothing_goes_twice(pair):
    primary, secondary = pair
    primary.script = [AmbiguousProviderError("read timeout")] * 2  # stored nothing, answered nothing
    send = _send(6)
    for _ in range(10):
        dispatch_run(send_id=send.pk, channel="sms", provider=primary, time_budget=5)
        messages_reconcile(send_id=send.pk, provider=primary)
        Message.objects.filter(send=send, state="pending").update(next_attempt_at=None)  # skip the backoff
        if not Message.objects.filter(send=send, state__in=("pending", "sending")).exists():
            break
    rows = Message.objects.filter(send=send)
    assert set(rows.values_list("state", flat=True)) == {"accepted"}
    # The two ambiguous batches were looked up at the primary (they were not there) before the secondary got them.
    assert primary.lookups and not primary.accepted
    assert set(secondary.accepted.values()) == {1} and len(secondary.accepted) == 6
    assert set(rows.values_list("provider", flat=True)) == {"twilio"}
    assert breaker.breaker_state(channel="sms", provider="infobip").is_open


def test_a_failed_probe_costs_no_attempt(pair, settings):
    primary, _secondary = pair
    settings.PROVIDER_BREAKER_COOLDOWN_SECONDS = 0  # the breaker is half-open at once: the next batch probes
    for _ in range(2):
        breaker.breaker_failure(channel="sms", provider="infobip")
    primary.script = [AmbiguousProviderError("read timeout")]
    send = _send(1)
    Send.objects.filter(pk=send.pk).update(state=Send.State.SENDING)
    send.refresh_from_db()
    claim = messages_claim(send_id=send.pk, channel="sms", limit=10, lease_seconds=60)
    batch_deliver(batch=batch_prepare(send=send, channel="sms", claim=claim), provider=primary)
    row = Message.objects.get(send=send)
    assert primary.requests, "the probe went to the primary"
    assert row.state == "sending" and row.provider == "infobip"  # to be looked up there
    assert row.attempts == 0  # the probe's failure is the primary's


def test_the_report_pull_asks_the_provider_that_carried_the_message(pair, monkeypatch):
    primary, secondary = pair
    monkeypatch.setattr("notifications.services.pull.provider_named", lambda name, default: secondary)
    send = _send(2)
    old = timezone.now() - timedelta(hours=1)
    rows = list(Message.objects.filter(send=send))
    Message.objects.filter(pk=rows[0].pk).update(state="accepted", accepted_at=old, provider="twilio")
    Message.objects.filter(pk=rows[1].pk).update(state="accepted", accepted_at=old, provider="infobip")
    reports_pull(provider=primary, minutes=1)
    assert secondary.lookups == [[rows[0].message_id]]
    assert primary.lookups == [[rows[1].message_id]]

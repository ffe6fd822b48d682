"""Validity: nothing of a send goes out after its ``valid_until``; its unsent rows become ``expired`` (final), and
the provider is told the validity left (Infobip SMS ``validityPeriod`` in minutes, at most 48 h)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from infobip_api_client.models import EmailRequest, SmsRequest

from notifications.models import Message, Send
from notifications.providers.base import SendOptions
from notifications.providers.infobip.bodies import email_request_body, sms_request_body
from notifications.selectors import send_progress_of
from notifications.services.claim import messages_claim
from notifications.services.deliver import batch_deliver
from notifications.services.dispatch import dispatch_run
from notifications.services.materialize import send_materialize
from notifications.services.prepare import batch_prepare
from notifications.services.sweep import sends_sweep
from notifications.services.validity import EXPIRED_CODE, PROVIDER_MAX_MINUTES, messages_expire, provider_minutes
from tests.factories import ClientFactory
from tests.pipeline.factories import SendFactory
from tests.pipeline.fakes import FakeProvider
from tests.provider.conftest import emails, sms
from tests.provider.official import assert_faithful

S = Message.State


def _send(n=4, **kwargs):
    ClientFactory.create_batch(n)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"], **kwargs)
    send_materialize(send_id=send.pk)
    send.refresh_from_db()
    return send


def test_provider_minutes_rounds_up_and_caps_at_48_hours():
    now = timezone.now()
    assert provider_minutes(None, now) == 0
    assert provider_minutes(now + timedelta(seconds=61), now) == 2
    assert provider_minutes(now + timedelta(seconds=5), now) == 1
    assert provider_minutes(now - timedelta(seconds=5), now) == 1
    assert provider_minutes(now + timedelta(hours=72), now) == PROVIDER_MAX_MINUTES == 2880


def test_sms_body_carries_validity_period_faithfully_email_none():
    """SMS entries carry ``options.validityPeriod`` in minutes next to the reference; email carries none."""
    options = SendOptions(report_url="https://portal.example.com/r/", reference="camp-7", validity_minutes=240)
    body = sms_request_body(sms(2), options, sender="OutageInfo")
    assert_faithful(SmsRequest, body)
    assert body["messages"][0]["options"] == {
        "validityPeriod": {"amount": 240, "timeUnit": "MINUTES"},
        "campaignReferenceId": "camp-7",
    }
    mail = email_request_body(emails(1), options, sender="Outage Portal <status@example.com>")
    assert_faithful(EmailRequest, mail)
    assert "validityPeriod" not in mail["messages"][0].get("options", {})
    assert "options" not in sms_request_body(sms(1), SendOptions(), sender="x")["messages"][0]


@pytest.mark.django_db
def test_expired_send_claims_nothing_and_its_rows_expire(settings):
    """Past its validity a send's pending rows are never claimed; the loop expires them and the send completes."""
    provider = FakeProvider()
    send = _send(valid_until=timezone.now() - timedelta(seconds=1))
    assert not messages_claim(send_id=send.pk, channel="sms", limit=10, lease_seconds=60).rows
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert not provider.requests
    rows = Message.objects.filter(send=send)
    assert set(rows.values_list("state", "error_code")) == {(S.EXPIRED, EXPIRED_CODE)}
    assert all(row.done_at for row in rows)
    send.refresh_from_db()
    assert send.state == Send.State.COMPLETED
    assert send_progress_of(send).by_state == {S.EXPIRED: 4}


@pytest.mark.django_db
def test_valid_send_goes_out_with_the_validity_left():
    """Within its validity a send goes out, and each request carries the minutes left (rounded up)."""
    provider = FakeProvider()
    send = _send(valid_until=timezone.now() + timedelta(minutes=90))
    summary = dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert summary.accepted == 4
    assert {options.validity_minutes for options in provider.options} <= {90, 91}
    assert send.valid_until is not None


@pytest.mark.django_db
def test_batch_claimed_in_time_is_not_sent_once_its_validity_ends():
    """A batch claimed before the end that waited past it (rate limit, a stall) is expired, not sent late."""
    provider = FakeProvider()
    send = _send(valid_until=timezone.now() + timedelta(seconds=30))
    claim = messages_claim(send_id=send.pk, channel="sms", limit=10, lease_seconds=120)
    assert len(claim.rows) == 4
    batch = batch_prepare(send=send, channel="sms", claim=claim)
    Send.objects.filter(pk=send.pk).update(valid_until=timezone.now() - timedelta(seconds=1))  # it waited past it
    batch_deliver(batch=batch, provider=provider)
    assert not provider.requests
    assert set(Message.objects.filter(send=send).values_list("state", flat=True)) == {S.EXPIRED}


@pytest.mark.django_db
def test_sweeper_expires_rows_waiting_for_a_retry():
    """Rows waiting for a later retry when the validity ends are expired by the sweeper, and the send completes."""
    send = _send(valid_until=timezone.now() + timedelta(hours=1))
    Message.objects.filter(send=send).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    Send.objects.filter(pk=send.pk).update(state=Send.State.SENDING, valid_until=timezone.now())
    outcome = sends_sweep()
    assert outcome.expired == 4
    assert send.pk in outcome.completed
    assert messages_expire() == 0  # nothing left to expire: idempotent

"""Dispatch with an in-memory provider: claim, send, record; retries, throttling, bisecting, unknown outcomes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import Message, ProviderCall, Send
from notifications.providers.base import (
    AmbiguousProviderError,
    PermanentProviderError,
    RetryableProviderError,
    ThrottledProviderError,
)
from notifications.services import sends
from notifications.services.claim import messages_claim
from notifications.services.dispatch import dispatch_run
from notifications.services.materialize import send_materialize
from notifications.services.reconcile import messages_reconcile
from notifications.services.sweep import sends_sweep
from tests.factories import ClientFactory
from tests.pipeline.factories import SendFactory
from tests.pipeline.fakes import FakeProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return FakeProvider()


def _send(n=5, channels=("sms",), **kwargs):
    ClientFactory.create_batch(n)
    send = SendFactory(state=Send.State.QUEUED, channels=list(channels), **kwargs)
    send_materialize(send_id=send.pk)
    send.refresh_from_db()
    return send


def _states(send):
    return sorted(Message.objects.filter(send=send).values_list("state", flat=True))


def _make_due(send):
    Message.objects.filter(send=send, state="pending").update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_every_message_accepted_once_and_send_completed(provider, settings):
    """All pending rows are sent in batches, recorded accepted with rendered content, and the send completes."""
    settings.DISPATCH_BATCH_SIZE = 2
    send = _send(5)
    summary = dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert summary.batches == 3 and summary.accepted == 5
    assert _states(send) == ["accepted"] * 5
    assert len(provider.accepted) == 5 and not provider.duplicates
    message = Message.objects.filter(send=send).first()
    assert message.body.startswith("Hi ") and message.provider_message_id == f"p-{message.message_id}"
    assert message.attempts == 1 and message.claim_token is not None and message.accepted_at is not None
    assert provider.options[0].report_url.endswith("/webhooks/infobip/reports/test-secret/")
    send.refresh_from_db()
    assert send.state == Send.State.COMPLETED and send.completed_at is not None
    assert ProviderCall.objects.filter(send=send, outcome="accepted").count() == 3


def test_email_carries_one_click_unsubscribe_headers(provider):
    """Client emails carry List-Unsubscribe and List-Unsubscribe-Post."""
    send = _send(1, channels=("email",))
    dispatch_run(send_id=send.pk, channel="email", provider=provider)
    headers = next(iter(provider.messages.values())).headers
    assert headers["List-Unsubscribe"].startswith("<http") and "/c/unsubscribe/" in headers["List-Unsubscribe"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_connection_error_retries_with_backoff_then_succeeds(provider):
    """A retryable error puts the batch back to pending with a future attempt time; the next run sends it."""
    send = _send(3)
    provider.script = [RetryableProviderError("connection refused")]
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    rows = list(Message.objects.filter(send=send))
    assert all(m.state == "pending" and m.attempts == 1 and m.next_attempt_at is not None for m in rows)
    assert all(m.next_attempt_at <= timezone.now() + timedelta(seconds=1) for m in rows)
    _make_due(send)
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert _states(send) == ["accepted"] * 3
    assert set(Message.objects.filter(send=send).values_list("attempts", flat=True)) == {2}


def test_gives_up_after_max_attempts(provider, settings):
    """After DISPATCH_MAX_ATTEMPTS retryable failures the message is failed with the error."""
    settings.DISPATCH_MAX_ATTEMPTS = 2
    send = _send(1)
    provider.script = [RetryableProviderError("refused"), RetryableProviderError("refused again")]
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    _make_due(send)
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    message = Message.objects.get(send=send)
    assert message.state == "failed" and "refused again" in message.error_text and message.attempts == 2


def test_throttled_waits_retry_after_and_burns_no_attempt(provider):
    """A 429 puts rows back with next_attempt_at = Retry-After and does not count the attempt."""
    send = _send(2)
    provider.script = [ThrottledProviderError("slow down", http_status=429, retry_after=30)]
    before = timezone.now()
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    for message in Message.objects.filter(send=send):
        assert message.state == "pending" and message.attempts == 0
        assert message.next_attempt_at >= before + timedelta(seconds=29)
    assert ProviderCall.objects.get(send=send).outcome == "throttled"


def test_a_rejected_batch_is_bisected_to_fail_only_the_bad_rows(provider, settings):
    """A 400 on a batch is split until only the offending message fails, with the error stored."""
    settings.DISPATCH_BATCH_SIZE = 8
    send = _send(8)
    bad = Message.objects.filter(send=send).order_by("pk")[5]
    provider.invalid_destinations = {bad.destination}
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    bad.refresh_from_db()
    assert bad.state == "failed" and bad.error_code == "E400" and "invalid destination" in bad.error_text
    assert _states(send).count("accepted") == 7
    assert not provider.duplicates
    assert ProviderCall.objects.filter(send=send, outcome="permanent").count() == 4  # 8 → 4 → 2 → 1


def test_credentials_refused_pauses_the_send_and_burns_nothing(provider):
    """A 401 pauses the send; rows stay pending with their attempt refunded and the error recorded."""
    send = _send(2)
    provider.script = [PermanentProviderError("Invalid login details", http_status=401)]
    summary = dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    send.refresh_from_db()
    assert summary.paused or send.state == Send.State.PAUSED
    assert send.state == Send.State.PAUSED
    for message in Message.objects.filter(send=send):
        assert message.state == "pending" and message.attempts == 0 and message.error_code == "401"


def test_ambiguous_outcome_is_looked_up_before_any_resend(provider, settings):
    """After a timeout that the provider did store, the lookup finds the messages: accepted, never sent twice."""
    settings.DISPATCH_AMBIGUOUS_GRACE_SECONDS = 0
    send = _send(3)
    provider.accept_then_raise = [AmbiguousProviderError("read timeout")]
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert provider.lookups and _states(send) == ["accepted"] * 3
    assert not provider.duplicates and len(provider.requests) == 1


def test_5xx_after_storing_is_reconciled_not_resent(provider, settings):
    """A 500 that came after the provider stored the batch is looked up, not blindly retried."""
    settings.DISPATCH_AMBIGUOUS_GRACE_SECONDS = 0
    send = _send(2)
    provider.accept_then_raise = [RetryableProviderError("internal error", http_status=500)]
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert _states(send) == ["accepted"] * 2 and not provider.duplicates


def test_ambiguous_outcome_not_found_goes_back_to_pending(provider, settings):
    """When the lookup does not know the messages they go back to pending with a backoff, then are sent."""
    settings.DISPATCH_AMBIGUOUS_GRACE_SECONDS = 0
    send = _send(2)
    provider.script = [AmbiguousProviderError("reset")]
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert _states(send) == ["pending", "pending"]
    _make_due(send)
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert _states(send) == ["accepted"] * 2 and not provider.duplicates


def test_failed_lookup_leaves_rows_leased_never_resent(provider, settings):
    """If the provider's logs cannot be asked, the rows stay in sending and nothing is resent."""
    settings.DISPATCH_AMBIGUOUS_GRACE_SECONDS = 0
    send = _send(2)
    provider.script = [AmbiguousProviderError("timeout")]
    provider.lookup_error = RetryableProviderError("logs down")
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert _states(send) == ["sending", "sending"] and len(provider.requests) == 1


def test_crashed_worker_rows_are_reconciled_after_the_lease(provider, settings):
    """Rows a dead worker left in sending are found at the provider (accepted) or put back (pending) once the lease
    and then the longest request (here only the margin: the fake provider's requests take no time) have passed."""
    settings.DISPATCH_REQUEST_MARGIN_SECONDS = 5
    send = _send(4)
    claim = messages_claim(send_id=send.pk, channel="sms", limit=4, lease_seconds=60)
    sent, lost = claim.rows[:2], claim.rows[2:]
    for row in sent:  # the provider got these two before the "crash"
        provider.accepted[f"op-{row.id}"] += 1
    assert messages_reconcile(provider=provider) == 0  # lease not expired yet: nothing to do
    Message.objects.filter(send=send).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert messages_reconcile(provider=provider) == 0  # its worker could still be sending: not yet
    Message.objects.filter(send=send).update(lease_until=timezone.now() - timedelta(seconds=6))
    assert messages_reconcile(provider=provider) == 4
    states = dict(Message.objects.filter(send=send).values_list("pk", "state"))
    assert [states[row.id] for row in sent] == ["accepted", "accepted"]
    assert [states[row.id] for row in lost] == ["pending", "pending"]
    _make_due(send)
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert _states(send) == ["accepted"] * 4 and not provider.duplicates


def test_a_stale_worker_cannot_overwrite_after_reconciliation(provider):
    """Results are fenced by the claim token: a worker whose lease was taken over writes nothing."""
    from notifications.services.record import Decision, messages_record

    send = _send(1)
    claim = messages_claim(send_id=send.pk, channel="sms", limit=1, lease_seconds=60)
    Message.objects.filter(send=send).update(lease_until=timezone.now() - timedelta(minutes=5))
    messages_reconcile(provider=provider)  # not found → pending, new token
    written = messages_record(
        claim=claim, decisions={claim.rows[0].id: Decision("accepted")}, rendered={}, ambiguous_grace=5
    )
    assert written == 0 and _states(send) == ["pending"]


def test_pause_stops_claims_and_resume_continues(provider, django_capture_on_commit_callbacks):
    """A paused send is not claimed; resume puts it back to sending and kicks dispatch after commit."""
    send = _send(3)
    sends.send_pause(send=send)
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert not provider.requests and _states(send) == ["pending"] * 3
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sends.send_resume(send=send)
    assert send.state == Send.State.SENDING and len(callbacks) == 1
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert _states(send) == ["accepted"] * 3


def test_cancel_turns_pending_into_cancelled(provider):
    """Cancel stops the send for good: its pending rows become cancelled and nothing more is sent."""
    send = _send(3)
    sends.send_cancel(send=send)
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert _states(send) == ["cancelled"] * 3 and not provider.requests


def test_retry_failed_puts_failed_rows_back(provider, django_capture_on_commit_callbacks):
    """retry_failed returns failed and expired rows to pending and reopens the send; undeliverable stays unless named."""
    send = _send(3)
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    first, second, third = Message.objects.filter(send=send).order_by("pk")
    Message.objects.filter(pk=first.pk).update(state="failed")
    Message.objects.filter(pk=second.pk).update(state="expired")
    Message.objects.filter(pk=third.pk).update(state="undeliverable")
    with django_capture_on_commit_callbacks(execute=False):
        assert sends.send_retry_failed(send=send) == 2
    send.refresh_from_db()
    assert send.state == Send.State.SENDING and _states(send) == ["pending", "pending", "undeliverable"]
    with django_capture_on_commit_callbacks(execute=False):
        assert sends.send_retry_failed(send=send, states=Message.RETRY_OPTIONAL_STATES) == 1
    assert _states(send) == ["pending", "pending", "pending"]


def test_scheduled_send_starts_once(django_capture_on_commit_callbacks):
    """A due scheduled send is started exactly once, however many sweeps run."""
    send = SendFactory(state=Send.State.SCHEDULED, scheduled_at=timezone.now() - timedelta(seconds=1))
    future = SendFactory(state=Send.State.SCHEDULED, scheduled_at=timezone.now() + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sends.send_start_due() == [send.pk]
        assert sends.send_start_due() == []
    assert len(callbacks) == 1
    send.refresh_from_db()
    future.refresh_from_db()
    assert send.state == Send.State.QUEUED and future.state == Send.State.SCHEDULED


def test_sweeper_kicks_due_work_and_completes_finished_sends(provider, django_capture_on_commit_callbacks):
    """The sweeper rings for sends with due rows and completes sends with none left in flight."""
    busy = _send(2)
    done = SendFactory(state=Send.State.SENDING, materialized_at=timezone.now(), channels=["sms"])
    with django_capture_on_commit_callbacks(execute=False):
        outcome = sends_sweep()
    assert outcome.kicked == [(busy.pk, "sms")]
    assert outcome.completed == [done.pk]

"""The fence around every provider request (notifications/services/fence.py), with an in-memory provider.

A batch goes out only if, right before its request, the send is still sending, the rows still carry its claim's
token and are ``sending``, and the lease has the longest request plus the margin left; the check is one query. The
reconciler takes held rows over only once their lease and then that budget have passed.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.core.checks import Error, Warning
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.checks import lease_outlasts_requests
from notifications.models import Message, Send
from notifications.providers.base import NotSentError, SendOptions
from notifications.services.claim import messages_claim
from notifications.services.deliver import batch_deliver
from notifications.services.fence import claim_hold, request_budget
from notifications.services.materialize import send_materialize
from notifications.services.prepare import batch_prepare
from notifications.services.reconcile import messages_reconcile
from notifications.services.record import Decision, messages_record
from tests.factories import ClientFactory
from tests.pipeline.factories import SendFactory
from tests.pipeline.fakes import FakeProvider

pytestmark = pytest.mark.django_db
S = Message.State


class SlowProvider(FakeProvider):
    """A provider whose requests may take ``seconds`` (what the fence budgets for)."""

    def __init__(self, seconds: float = 10.0) -> None:
        super().__init__()
        self.seconds = seconds

    def longest_request(self) -> float:
        return self.seconds


@pytest.fixture
def provider(settings):
    settings.DISPATCH_REQUEST_MARGIN_SECONDS = 2
    return SlowProvider(seconds=10)


def _claimed(n: int = 4, lease: int = 60):
    ClientFactory.create_batch(n)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"])
    send_materialize(send_id=send.pk)
    send.refresh_from_db()
    claim = messages_claim(send_id=send.pk, channel="sms", limit=n, lease_seconds=lease)
    return send, claim


def _rows(send):
    return list(Message.objects.filter(send=send).order_by("pk").values_list("state", "attempts"))


def test_a_batch_whose_rows_were_taken_over_is_not_sent(provider):
    """A worker that stalled past its lease finds its rows under another token: nothing goes out, nothing is written."""
    send, claim = _claimed()
    batch = batch_prepare(send=send, channel="sms", claim=claim)
    other = uuid.uuid4()
    Message.objects.filter(send=send).update(claim_token=other)  # the reconciler took them over
    assert batch_deliver(batch=batch, provider=provider) == {}
    assert provider.requests == []
    assert set(Message.objects.filter(send=send).values_list("claim_token", flat=True)) == {other}
    assert _rows(send) == [(S.SENDING, 1)] * 4


def test_a_lease_too_short_for_the_request_gives_the_batch_back_unsent(provider):
    """An 11 s lease < 10 s request + 2 s margin: pending again, attempt refunded, nothing sent."""
    send, claim = _claimed(lease=11)
    batch = batch_prepare(send=send, channel="sms", claim=claim)
    decisions = batch_deliver(batch=batch, provider=provider)
    assert provider.requests == []
    assert {decision.state for decision in decisions.values()} == {S.PENDING}
    assert _rows(send) == [(S.PENDING, 0)] * 4
    assert "lease could not outlast" in Message.objects.filter(send=send).first().error_text


def test_a_lease_long_enough_sends_with_a_deadline_for_the_request(provider):
    """60 s lease: sent; the provider is told not to start the request once less than the budget would be left."""
    send, claim = _claimed(lease=60)
    batch = batch_prepare(send=send, channel="sms", claim=claim)
    before = time.monotonic()
    batch_deliver(batch=batch, provider=provider)
    assert _rows(send) == [(S.ACCEPTED, 1)] * 4
    not_after = provider.options[-1].not_after
    assert before + 60 - 12 - 5 < not_after <= time.monotonic() + 60 - 12


def test_rows_moved_on_by_a_report_are_neither_sent_nor_written(provider):
    """A row no longer ``sending`` (the provider already has it) stays out of the request; the others go."""
    send, claim = _claimed()
    batch = batch_prepare(send=send, channel="sms", claim=claim)
    first = claim.rows[0].id
    Message.objects.filter(pk=first).update(state=S.DELIVERED, status_name="DELIVERED_TO_HANDSET")
    batch_deliver(batch=batch, provider=provider)
    assert [len(ids) for _channel, ids in provider.requests] == [3]
    assert f"op-{first}" not in provider.requests[0][1]
    assert Message.objects.get(pk=first).state == S.DELIVERED
    assert Message.objects.get(pk=first).status_name == "DELIVERED_TO_HANDSET"
    assert Message.objects.filter(send=send, state=S.ACCEPTED).count() == 3


def test_the_check_is_one_query(provider):
    """The send's state and the rows still ours come back in one statement, whatever the batch size."""
    send, claim = _claimed(n=20)
    with CaptureQueriesContext(connection) as queries:
        hold = claim_hold(claim=claim, send_id=send.pk)
    assert len(queries) == 1
    assert hold.send_state == Send.State.SENDING and hold.owned is None and hold.seconds_left > 55


def test_a_partly_lost_claim_names_the_rows_still_ours(provider):
    send, claim = _claimed()
    lost = claim.rows[1].id
    Message.objects.filter(pk=lost).update(claim_token=uuid.uuid4())
    hold = claim_hold(claim=claim, send_id=send.pk)
    assert hold.owned == {row.id for row in claim.rows} - {lost} and not hold.lost


def test_a_request_past_its_deadline_is_not_made_and_the_rows_go_back(provider):
    """The provider's last-moment check (``SendOptions.not_after``) refuses to start: pending, attempt refunded."""
    send, claim = _claimed()
    batch = batch_prepare(send=send, channel="sms", claim=claim)
    provider.script = [NotSentError("not sent, the claim's lease could not outlast the request", code="LEASE")]
    batch_deliver(batch=batch, provider=provider)
    assert _rows(send) == [(S.PENDING, 0)] * 4
    assert not provider.accepted


def test_held_rows_are_taken_over_only_after_lease_plus_budget(provider):
    """12 s budget: a lease that ended 11 s ago is still its worker's; one that ended 13 s ago is taken over."""
    send, claim = _claimed()
    Message.objects.filter(send=send).update(lease_until=timezone.now() - timedelta(seconds=11))
    assert messages_reconcile(provider=provider) == 0
    Message.objects.filter(send=send).update(lease_until=timezone.now() - timedelta(seconds=13))
    assert messages_reconcile(provider=provider) == 4
    assert _rows(send) == [(S.PENDING, 1)] * 4


def test_rows_with_an_unknown_outcome_are_looked_up_when_their_grace_ends(provider):
    """A worker that recorded an unknown outcome holds no request any more: no budget to wait for."""
    send, claim = _claimed()
    messages_record(
        claim=claim, decisions={row.id: Decision(S.SENDING) for row in claim.rows}, rendered={}, ambiguous_grace=0
    )
    assert set(Message.objects.filter(send=send).values_list("claim_token", flat=True)) == {None}
    Message.objects.filter(send=send).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert messages_reconcile(provider=provider) == 4


def test_request_budget_is_the_longest_request_plus_the_margin(provider):
    assert request_budget(provider) == 12


def test_infobip_longest_request_counts_connect_twice(settings):
    from notifications.providers.infobip import InfobipProvider

    assert InfobipProvider(timeout=(5, 30)).longest_request() == 40
    settings.DISPATCH_REQUEST_MARGIN_SECONDS = 5
    assert request_budget(InfobipProvider(timeout=(5, 30))) == 45


def test_a_lease_the_fence_can_never_let_through_is_a_configuration_error(settings):
    settings.NOTIFICATIONS_PROVIDER = "notifications.providers.infobip.InfobipProvider"
    settings.INFOBIP_TIMEOUT_CONNECT, settings.INFOBIP_TIMEOUT_READ = 5, 30
    settings.DISPATCH_REQUEST_MARGIN_SECONDS = 5
    settings.DISPATCH_LEASE_SECONDS = 45
    assert [type(message) for message in lease_outlasts_requests()] == [Error]
    settings.DISPATCH_LEASE_SECONDS = 90
    assert [type(message) for message in lease_outlasts_requests()] == [Warning]
    settings.DISPATCH_LEASE_SECONDS = 120
    assert lease_outlasts_requests() == []


def test_send_options_default_to_no_deadline():
    assert SendOptions().not_after == 0.0

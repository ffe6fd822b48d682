"""Validity and superseded notices end to end: a real Celery worker, PostgreSQL, Redis, the sandbox over HTTP.

Both sends are paced by the shared SMS rate limit so that time runs out (validity) or a later notice starts
(superseded) while messages still wait. The sandbox's per-id counts are the witness: an expired or superseded
message never reaches it, everything it accepted it accepted once, and the counts add up.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from campaigns.models import Campaign, IncidentKind
from campaigns.selectors.messages import campaign_main_send
from campaigns.services import door, followups
from clients.models import Client
from notifications.models import Message, ProviderCall, Send, message_id_for
from notifications.services.sends import send_create
from tests.factories import UserFactory, ensure_staff_groups
from tests.wizard.factories import CampaignFactory, MessageTemplateFactory, TemplateVersionFactory, content_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(240),
]
S = Message.State
CLIENTS = 600
PACED = {"DISPATCH_SMS_RATE_PER_SECOND": 150, "DISPATCH_BATCH_SIZE": 30}


def _clients(n: int = CLIENTS) -> None:
    Client.objects.bulk_create(
        [
            Client(
                external_ref=f"T-{i:05d}",
                name=f"Client {i}",
                phone=f"+3361{i:06d}1",
                email=f"c{i}@customer.example.com",
                uses_sms_service=True,
            )
            for i in range(n)
        ]
    )


def _counts(send: Send) -> dict[str, int]:
    return dict(Message.objects.filter(send=send).values_list("state").annotate(n=Count("pk")))


def _wait_settled(sends: list[Send], worker, timeout: float = 120) -> None:
    """Until no message of these sends is pending, sending or waiting for its report."""
    deadline = time.monotonic() + timeout
    ids = [send.pk for send in sends]
    while (
        Send.objects.filter(pk__in=ids, materialized_at__isnull=True).exists()
        or Message.objects.filter(send__in=ids, state__in=(S.PENDING, S.SENDING, S.ACCEPTED)).exists()
    ):
        if time.monotonic() > deadline:
            pytest.fail(f"not settled: {[_counts(s) for s in sends]}\n{worker.log_tail()}")
        time.sleep(0.3)


def _sandbox_ids(sandbox) -> dict[str, int]:
    return sandbox.stats(ids=True)["ids"]


def test_expired_messages_never_reach_the_sandbox(celery_worker_factory, infobip_sandbox):
    """A paced send whose validity ends half way (brought forward to "in 0.3 s" once 60 went out, so the test does
    not depend on how fast a loaded machine starts): the rest expire, none of them reaches the sandbox, no request
    started after the end, what went out went once, and each SMS carried the validity left in minutes."""
    worker = celery_worker_factory(**PACED)
    _clients()
    send = send_create(
        label="validity",
        channels=["sms"],
        audience={"builtin": ["all_clients"]},
        content=content_for("en"),
        variables={"service": "Internet"},
        valid_until=timezone.now() + timedelta(hours=1),
    )
    deadline = time.monotonic() + 90
    while Message.objects.filter(send=send, state__in=(S.ACCEPTED, S.DELIVERED)).count() < 60:
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.05)
    Send.objects.filter(pk=send.pk).update(valid_until=timezone.now() + timedelta(seconds=0.3))
    _wait_settled([send], worker)
    counts = _counts(send)
    assert counts.get(S.EXPIRED, 0) > 0 and counts.get(S.DELIVERED, 0) > 0, counts
    assert sum(counts.values()) == CLIENTS and set(counts) == {S.DELIVERED, S.EXPIRED}, counts
    ids = _sandbox_ids(infobip_sandbox)
    delivered = {
        message_id_for(pk) for pk in Message.objects.filter(send=send, state=S.DELIVERED).values_list("pk", flat=True)
    }
    expired = {
        message_id_for(pk) for pk in Message.objects.filter(send=send, state=S.EXPIRED).values_list("pk", flat=True)
    }
    assert set(ids) == delivered and not expired & set(ids)
    assert set(ids.values()) == {1}, "nothing accepted twice"
    send.refresh_from_db()
    assert send.state == Send.State.COMPLETED
    for call in ProviderCall.objects.filter(send=send):
        assert call.at - timedelta(milliseconds=call.duration_ms) <= send.valid_until, "no request started late"
    periods = {entry["message"]["options"]["validityPeriod"]["amount"] for entry in infobip_sandbox.received(1000)}
    assert periods and all(1 <= minutes <= 60 for minutes in periods), periods  # the time left, rounded up


def test_resolved_supersedes_the_unsent_part_of_a_paced_outage_notice(celery_worker_factory, infobip_sandbox):
    """An outage notice paced to 600 clients, then "resolved" once some got it: nobody gets the outage notice
    after the resolved one; those not yet sent it get only the resolved one; everyone gets "resolved" once."""
    worker = celery_worker_factory(**PACED)
    ensure_staff_groups()
    ops = UserFactory(username="ops", groups=["Ops"])
    _clients()
    template = MessageTemplateFactory(name="Service restored", kind="resolved")
    TemplateVersionFactory(template=template, language="en", sms_text="{{ service }} works again.")
    outage = CampaignFactory(
        kind=IncidentKind.OUTAGE,
        channels=["sms"],
        content=content_for("en"),
        audience={"builtin": ["all_clients"]},
        variables={"service": "Internet"},
        created_by=ops,
    )
    outage = door.campaign_confirm(campaign=outage, actor=ops)
    first = campaign_main_send(outage)
    deadline = time.monotonic() + 90
    while Message.objects.filter(send=first, state__in=(S.ACCEPTED, S.DELIVERED)).count() < 60:
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.05)
    resolved = followups.campaign_follow_up(campaign=outage, kind="resolved", actor=ops)
    resolved = door.campaign_confirm(campaign=resolved, actor=ops)
    assert resolved.state == Campaign.State.SENDING
    second = campaign_main_send(resolved)
    _wait_settled([first, second], worker)

    outage_counts, resolved_counts = _counts(first), _counts(second)
    assert outage_counts.get(S.SUPERSEDED, 0) > 0, outage_counts
    assert set(outage_counts) == {S.DELIVERED, S.SUPERSEDED} and sum(outage_counts.values()) == CLIENTS
    assert resolved_counts == {S.DELIVERED: CLIENTS}, resolved_counts
    ids = _sandbox_ids(infobip_sandbox)
    assert set(ids.values()) == {1}, "nothing accepted twice"
    superseded = Message.objects.filter(send=first, state=S.SUPERSEDED).values_list("pk", flat=True)
    assert not {message_id_for(pk) for pk in superseded} & set(ids), "a superseded message reached the sandbox"
    assert len(ids) == outage_counts[S.DELIVERED] + CLIENTS
    # Per client: the outage notice, if it went at all, was accepted before the resolved one.
    got_outage = dict(Message.objects.filter(send=first, state=S.DELIVERED).values_list("client_id", "accepted_at"))
    got_resolved = dict(Message.objects.filter(send=second).values_list("client_id", "accepted_at"))
    assert all(got_outage[client] < got_resolved[client] for client in got_outage)

"""End to end with a real Celery worker process, PostgreSQL, Redis, the sandbox over HTTP and the live webhook.

Each campaign goes to 2,000 clients on SMS and email; it must end with every eligible message delivered and
accepted exactly once by the sandbox (its per-id counts), and every other one skipped with its reason.
"""

from __future__ import annotations

import time

import pytest
from django.db.models import Count

from clients.models import Client
from notifications.models import Message, Send, message_id_for
from notifications.services.sends import send_create
from tests.pipeline.factories import CONTENT, VARIABLES

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(240),
]
CLIENTS = 2000
S = Message.State


def _clients(n: int = CLIENTS) -> dict[str, int]:
    """n clients, a known share of them ineligible per channel; returns the expected skip counts."""
    rows = []
    for i in range(n):
        rows.append(
            Client(
                external_ref=f"INT-{i:06d}",
                name=f"Client {i}",
                language=("fr" if i % 3 == 0 else "en"),
                phone="" if i % 25 == 0 else f"+3361{i:06d}1",
                email=f"client{i}@customer.example.com",
                is_active=i % 20 != 7,
                email_consent=i % 30 != 11,
                uses_sms_service=True,
                uses_email_service=True,
            )
        )
    Client.objects.bulk_create(rows, batch_size=1000)
    return {
        "inactive": sum(1 for i in range(n) if i % 20 == 7) * 2,
        "no_phone": sum(1 for i in range(n) if i % 25 == 0 and i % 20 != 7),
        "opted_out": sum(1 for i in range(n) if i % 30 == 11 and i % 20 != 7),
    }


def _start() -> Send:
    return send_create(
        label="integration",
        channels=["sms", "email"],
        audience={"builtin": ["all_clients"]},
        content=CONTENT,
        variables=VARIABLES,
        reference="it",
    )


def _wait_until_done(send: Send, worker, timeout: float = 150) -> dict[str, int]:
    """Wait until no message is pending, sending or merely accepted (all reports in)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = dict(Message.objects.filter(send=send).values_list("state").annotate(n=Count("pk")))
        if not any(counts.get(state) for state in (S.PENDING, S.SENDING, S.ACCEPTED)) and counts:
            return counts
        if time.monotonic() > deadline:
            pytest.fail(f"not done in {timeout}s: {counts}\n{worker.log_tail()}")
        time.sleep(0.5)


def _assert_exactly_once(send: Send, sandbox, skips: dict[str, int]) -> None:
    rows = Message.objects.filter(send=send)
    eligible = rows.exclude(state=S.SKIPPED)
    assert rows.count() == CLIENTS * 2
    assert set(eligible.values_list("state", flat=True)) == {S.DELIVERED}
    ids = sandbox.stats(ids=True)["ids"]
    expected = {message_id_for(pk) for pk in eligible.values_list("pk", flat=True)}
    assert set(ids) == expected, "the sandbox accepted exactly our eligible messages"
    assert {count for count in ids.values()} == {1}, "no message was accepted twice"
    reasons = dict(rows.filter(state=S.SKIPPED).values_list("skip_reason").annotate(n=Count("pk")))
    assert reasons == skips
    send.refresh_from_db()
    assert send.state == Send.State.COMPLETED


def test_campaign_delivered_exactly_once(celery_worker_process, infobip_sandbox):
    """2,000 clients × SMS and email: every eligible message delivered and accepted once; others skipped."""
    skips = _clients()
    send = _start()
    _wait_until_done(send, celery_worker_process)
    _assert_exactly_once(send, infobip_sandbox, skips)


def test_campaign_survives_provider_faults(celery_worker_factory, infobip_sandbox):
    """With 10% 500s, 5% 429s and 1% timeouts injected, the campaign still delivers everything exactly once."""
    infobip_sandbox.configure(
        fail_rate=0.10, throttle_rate=0.05, timeout_rate=0.01, hang_seconds=3, retry_after=1, seed=7
    )
    worker = celery_worker_factory(INFOBIP_TIMEOUT_READ=2, DISPATCH_BATCH_SIZE=50)
    skips = _clients()
    send = _start()
    _wait_until_done(send, worker)
    _assert_exactly_once(send, infobip_sandbox, skips)
    faults = infobip_sandbox.stats()["faults"]
    assert faults.get("fail") and faults.get("throttle"), faults


def test_campaign_survives_worker_sigkill(celery_worker_factory, infobip_sandbox):
    """SIGKILL of the worker halfway, then a fresh worker: the campaign completes with no loss and no duplicate."""
    worker = celery_worker_factory(
        DISPATCH_SMS_RATE_PER_SECOND=150, DISPATCH_EMAIL_RATE_PER_SECOND=150, DISPATCH_BATCH_SIZE=50
    )
    skips = _clients()
    send = _start()
    eligible = CLIENTS * 2 - sum(skips.values())
    deadline = time.monotonic() + 60
    while Message.objects.filter(send=send, state__in=(S.ACCEPTED, S.DELIVERED)).count() < eligible // 2:
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.05)
    worker.kill()
    in_flight = Message.objects.filter(send=send, state__in=(S.PENDING, S.SENDING)).count()
    assert in_flight > 0, "the kill happened before the end"
    worker.restart()
    _wait_until_done(send, worker)
    _assert_exactly_once(send, infobip_sandbox, skips)
    assert not Message.objects.filter(send=send, attempts__gt=2).exists()

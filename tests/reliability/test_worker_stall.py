"""A worker stalls while it holds claimed, unsent batches, past its lease; another worker takes them over and sends
them; then the stalled one comes back. It must not send its stale batches: the sandbox counts every message once.

An outside chaos run found exactly this (216 and 231 messages accepted twice): the claim token fenced the database
write, not the HTTP request. Two ways to stall, both on a real worker process group:

- frozen: SIGSTOP past the lease (a frozen container, a long pause), SIGCONT once the other worker's reconciler has
  taken its rows over (looked them up, found them unsent, put them back to be sent again);
- cut off: every connection of the worker (PostgreSQL, Redis, the sandbox) goes through a proxy the test
  black-holes for 60 s (tests/fixtures/blackhole.py): a query or a Redis call blocked during the cut gets its answer
  afterwards, as over TCP, so the worker carries on exactly where the cut caught it.

The campaign is rate-limited so that the stalled worker is certainly holding claimed batches that it has not sent
(each batch waits for its turn after its claim); the test checks it was, before it lets the worker go.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django.db import connection

from notifications.models import Message, message_id_for
from tests.fixtures.blackhole import LinkProxy
from tests.fixtures.worker import redis_url, test_database_url
from tests.reliability.helpers import (
    assert_exactly_once,
    clients_create,
    send_start,
    sent_count,
    state_counts,
    wait_until_settled,
)

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]
CUT_SECONDS = 60
# A 10 s lease; requests of at most 2 × 1 s connect + 2 s read, plus a 1 s margin; batches of 50 at 100 SMS/s, so
# each batch waits about half a second between its claim and its request, and the campaign is still being sent by
# the other worker when the stalled one comes back (else the send is complete and nothing would go out anyway).
STALL = {
    "DISPATCH_BATCH_SIZE": 50,
    "DISPATCH_SMS_RATE_PER_SECOND": 100,
    "DISPATCH_LEASE_SECONDS": 10,
    "INFOBIP_TIMEOUT_CONNECT": 1,
    "INFOBIP_TIMEOUT_READ": 2,
    "DISPATCH_REQUEST_MARGIN_SECONDS": 1,
    "DISPATCH_AMBIGUOUS_GRACE_SECONDS": 1,
    "DISPATCH_SWEEP_SECONDS": 1,
}


def _claimed_unsent(send, sandbox) -> dict[int, object]:
    """Rows the database shows claimed (``sending``) that the sandbox never received, with their claim tokens."""
    time.sleep(0.5)  # a request already at the sandbox when the worker stopped is stored by now
    received = set(sandbox.stats(ids=True)["ids"])
    claimed = Message.objects.filter(send=send, state=Message.State.SENDING).values_list("pk", "claim_token")
    return {pk: token for pk, token in claimed if message_id_for(pk) not in received}


def _wait_taken_over(held: dict[int, object], *, timeout: float, workers) -> None:
    """Wait until the other worker's reconciler has taken every held row over (none carries its old token)."""
    deadline = time.monotonic() + timeout
    while Message.objects.filter(pk__in=held, claim_token__in=set(held.values())).exists():
        if time.monotonic() > deadline:
            logs = "\n".join(worker.log_tail() for worker in workers)
            pytest.fail(f"the stalled worker's rows were not taken over within {timeout:.0f}s\n{logs}")
        time.sleep(0.25)


def _start(send, eligible: int, victim) -> None:
    deadline = time.monotonic() + 60
    while sent_count(send) < eligible // 10:
        if time.monotonic() > deadline:
            pytest.fail(f"the campaign did not start: {state_counts(send)}\n{victim.log_tail()}")
        time.sleep(0.05)


def test_frozen_worker_never_sends_its_stale_batches(celery_worker_factory, infobip_sandbox):
    """SIGSTOP a worker holding claimed, unsent batches past its lease; SIGCONT it once they were resent."""
    eligible = clients_create(2500, email=False)  # 2,250 SMS: 22 s at 100/s
    victim = celery_worker_factory(concurrency=2, beat=False, **STALL)
    send = send_start(channels=["sms"])
    _start(send, eligible, victim)
    victim.freeze()
    held = _claimed_unsent(send, infobip_sandbox)
    assert held, f"the frozen worker held no unsent batch: {state_counts(send)}"

    survivor = celery_worker_factory(concurrency=1, beat=True, **STALL)
    _wait_taken_over(held, timeout=90, workers=[victim, survivor])
    victim.thaw()
    wait_until_settled(send, timeout=60, workers=[victim, survivor], sandbox=infobip_sandbox)
    assert_exactly_once(send, infobip_sandbox, eligible=eligible, note=f"{len(held)} held unsent at the freeze")


def _through(proxy: LinkProxy, url: str, name: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port(name)}"
    return parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host).geturl()


def test_worker_cut_off_for_60s_never_sends_its_stale_batches(celery_worker_factory, infobip_sandbox):
    """Black-hole every connection of a worker holding claimed, unsent batches for 60 s, then restore it."""
    database = connection.settings_dict
    redis_parts = urlsplit(redis_url())
    sandbox_parts = urlsplit(infobip_sandbox.url)
    proxy = LinkProxy(
        {
            "db": (database.get("HOST") or "127.0.0.1", int(database.get("PORT") or 5432)),
            "redis": (redis_parts.hostname or "127.0.0.1", redis_parts.port or 6379),
            "sandbox": (sandbox_parts.hostname or "127.0.0.1", sandbox_parts.port or 80),
        }
    )
    try:
        eligible = clients_create(8000, email=False)  # 7,200 SMS: 72 s at 100/s, longer than the cut
        broker = _through(proxy, redis_url(), "redis")
        victim = celery_worker_factory(
            concurrency=2,
            beat=False,
            DATABASE_URL=_through(proxy, test_database_url(), "db"),
            CELERY_BROKER_URL=broker,
            REDIS_URL=broker,
            INFOBIP_BASE_URL=_through(proxy, infobip_sandbox.url, "sandbox"),
            **STALL,
        )
        send = send_start(channels=["sms"])
        _start(send, eligible, victim)
        proxy.cut()
        cut_at = time.monotonic()
        held = _claimed_unsent(send, infobip_sandbox)
        assert held, f"the cut-off worker held no unsent batch: {state_counts(send)}"

        survivor = celery_worker_factory(concurrency=1, beat=True, **STALL)
        _wait_taken_over(held, timeout=CUT_SECONDS - 5, workers=[victim, survivor])
        time.sleep(max(0.0, cut_at + CUT_SECONDS - time.monotonic()))
        proxy.restore()
        wait_until_settled(send, timeout=60, workers=[victim, survivor], sandbox=infobip_sandbox)
        assert_exactly_once(send, infobip_sandbox, eligible=eligible, note=f"{len(held)} held unsent at the cut")
    finally:
        proxy.close()

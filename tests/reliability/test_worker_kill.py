"""SIGKILL of a worker process group halfway through a 20,000-recipient campaign, then a restart.

The killed worker dies holding claimed rows: some already sent (accepted by the sandbox, not yet recorded), some
not. Its leases expire, the reconciler looks the rows up at the provider by our message id, marks the found ones
accepted and puts only the others back to pending. Nothing is lost, nothing is sent twice.
"""

from __future__ import annotations

import time

import pytest

from notifications.models import Message
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
RECIPIENTS = 20_000
LEASE_SECONDS = 10
# A request may take 2 × 1 s + 2 s, plus a 1 s margin: the dead worker's rows are taken over 5 s after their lease.
FAST = {
    "DISPATCH_BATCH_SIZE": 500,
    "DISPATCH_LEASE_SECONDS": LEASE_SECONDS,
    "DISPATCH_SMS_RATE_PER_SECOND": 2000,
    "INFOBIP_TIMEOUT_READ": 2,
}


def test_worker_sigkill_halfway_through_20000(celery_worker_factory, infobip_sandbox, record_property):
    """Two workers; one SIGKILLed at ~50 % sent and restarted: all 18,000 eligible sent exactly once, all final."""
    eligible = clients_create(RECIPIENTS, email=False)
    victim = celery_worker_factory(concurrency=2, beat=True, **FAST)
    survivor = celery_worker_factory(concurrency=1, beat=False, **FAST)
    send = send_start(channels=["sms"])
    deadline = time.monotonic() + 120
    while (sent := sent_count(send)) < eligible // 2:
        if time.monotonic() > deadline:
            pytest.fail(f"half not reached: {state_counts(send)}\n{victim.log_tail()}")
        time.sleep(0.05)
    victim.kill()
    share = sent / eligible
    assert 0.45 <= share <= 0.6, f"killed at {share:.0%}, not about half"
    assert Message.objects.filter(send=send, state__in=(Message.State.PENDING, Message.State.SENDING)).exists()

    victim.restart()
    restarted = time.monotonic()
    wait_until_settled(send, timeout=LEASE_SECONDS + 5 + 60, workers=[victim, survivor], sandbox=infobip_sandbox)
    recovery = time.monotonic() - restarted
    assert_exactly_once(send, infobip_sandbox, eligible=eligible)
    assert not Message.objects.filter(send=send, attempts__gt=2).exists()
    record_property("killed_at_share", round(share, 3))
    record_property("recovery_seconds", round(recovery, 1))

"""The window only the provider can close, and Infobip's idempotent sending closing it.

The engine never resends blind: an unknown outcome is looked up by our messageId first. But a lookup can only see
what the provider's logs show, and logs lag: here the sandbox stores 30 % of the batches and then answers 500 (the
ambiguous case), and its logs show a message only 30 s after it was accepted. Every lookup finds nothing, so the
engine sends those messages again. With idempotency on at both ends (``--idempotency`` in the sandbox,
``INFOBIP_IDEMPOTENT_CHANNELS`` in the portal) the provider refuses each copy and the engine records it accepted, not
rejected: the customer gets one message, and the campaign completes with every message delivered. (The same copies
are what a worker frozen between the fence's last check and its socket write, or a request delivered late by TCP
after a network cut, would produce: docs/reliability.md.)
"""

from __future__ import annotations

import pytest

from notifications.models import Message
from tests.reliability.helpers import assert_exactly_once, clients_create, send_start, wait_until_settled

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]
CLIENTS = 500
WORKER = {
    "DISPATCH_BATCH_SIZE": 25,
    "DISPATCH_SWEEP_SECONDS": 1,
    "DISPATCH_AMBIGUOUS_GRACE_SECONDS": 1,
    "INFOBIP_IDEMPOTENT_CHANNELS": "sms,email",
}


def test_copies_the_lookup_cannot_see_are_refused_and_recorded_accepted(celery_worker_factory, infobip_sandbox):
    # Reports come after the resend (else a report would tell the engine first), logs later still.
    infobip_sandbox.configure(idempotency=True, logs_delay=30.0, report_delay=8.0, accept_then_fail_rate=0.3, seed=3)
    worker = celery_worker_factory(**WORKER)
    eligible = clients_create(CLIENTS) + CLIENTS
    send = send_start(channels=["sms", "email"])
    wait_until_settled(send, timeout=150, workers=[worker], sandbox=infobip_sandbox)
    stats = infobip_sandbox.stats()
    assert_exactly_once(send, infobip_sandbox, eligible=eligible, note=f"{stats['duplicates_rejected']} copies refused")
    # The window was really exercised: copies were sent, refused by the provider, and none recorded as a rejection
    # (the only rejections are the sandbox's rule for numbers ending in 777).
    assert stats["faults"].get("accept_then_fail") and stats["duplicates_rejected"] > 0, stats
    rejected = Message.objects.filter(send=send, state=Message.State.REJECTED).exclude(destination__endswith="777")
    assert not rejected.exists()

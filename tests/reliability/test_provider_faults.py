"""The provider misbehaves: 500s, 429s with Retry-After, slow answers, timeouts, and the ambiguous cases where it
accepted a batch but the answer says otherwise (accept-then-500, accept-then-hang).

An answer that proves nothing was stored (429) is retried after its Retry-After; an answer that may hide an
accepted batch (5xx, read timeout) leaves the rows ``sending`` until the reconciler has looked each one up in the
provider's logs by our message id. Only messages the provider never got are sent again.
"""

from __future__ import annotations

import pytest

from notifications.models import DeliveryReport, ProviderCall
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
# A read timeout (2 s) shorter than the sandbox's hang (3 s), small batches so many requests meet a fault, and a
# sweeper every second (the reconciler every two) with a 1 s grace before an unknown outcome is looked up.
WORKER = {
    "DISPATCH_BATCH_SIZE": 25,
    "INFOBIP_TIMEOUT_READ": 2,
    "DISPATCH_SWEEP_SECONDS": 1,
    "DISPATCH_AMBIGUOUS_GRACE_SECONDS": 1,
}
OUTCOME = ProviderCall.Outcome


def _calls(**filters) -> int:
    return ProviderCall.objects.filter(**filters).count()


def test_fault_mix_delivers_everything_once(celery_worker_factory, infobip_sandbox):
    """15 % 500s, 10 % 429s (Retry-After 1 s), 5 % timeouts and 10 % slow answers: every message sent exactly once."""
    infobip_sandbox.configure(
        fail_rate=0.15,
        throttle_rate=0.10,
        retry_after=1,
        timeout_rate=0.05,
        hang_seconds=3,
        slow_rate=0.10,
        slow_seconds=1.0,
        seed=11,
    )
    worker = celery_worker_factory(**WORKER)
    eligible = clients_create(CLIENTS) + CLIENTS
    send = send_start(channels=["sms", "email"])
    wait_until_settled(send, timeout=180, workers=[worker], sandbox=infobip_sandbox)
    assert_exactly_once(send, infobip_sandbox, eligible=eligible)
    faults = infobip_sandbox.stats()["faults"]
    assert faults.get("fail") and faults.get("throttle") and faults.get("timeout"), faults
    # Every fault was seen and classified by the engine: 429 → throttled, 500 and timeouts → unknown outcome.
    assert _calls(outcome=OUTCOME.THROTTLED, http_status=429) == faults["throttle"]
    assert _calls(outcome=OUTCOME.AMBIGUOUS, http_status=500) == faults["fail"]
    assert _calls(outcome=OUTCOME.AMBIGUOUS, http_status__isnull=True) == faults["timeout"]


AMBIGUOUS_CASES = {
    # The provider stored the batch, then answered 500 or hung up: the logs know every message.
    "stored-then-500-or-hang": {"accept_then_fail_rate": 0.2, "timeout_rate": 0.1, "hang_seconds": 3},
    # Hangs that stored nothing (the lookup finds nothing: send again, once), while 10 % of every request,
    # lookups included, fail with a 500 (a failed lookup must not lead to a blind resend).
    "hang-unstored-and-lookups-failing": {
        "timeout_rate": 0.15,
        "hang_seconds": 3,
        "timeout_accepts": False,
        "accept_then_fail_rate": 0.15,
        "fail_rate": 0.1,
        "faults_on_reads": True,
    },
}


@pytest.mark.parametrize("faults", AMBIGUOUS_CASES.values(), ids=AMBIGUOUS_CASES.keys())
def test_ambiguous_answers_are_looked_up_not_resent(celery_worker_factory, infobip_sandbox, faults):
    """Batches the provider stored but answered with a 500 or no answer are found in its logs: zero duplicates."""
    # Reports come late, so only the logs lookup (not a delivery report) can tell the engine what was stored.
    infobip_sandbox.configure(report_delay=5.0, seed=5, **faults)
    worker = celery_worker_factory(**WORKER)
    eligible = clients_create(CLIENTS) + CLIENTS
    send = send_start(channels=["sms", "email"])
    wait_until_settled(send, timeout=180, workers=[worker], sandbox=infobip_sandbox)
    assert_exactly_once(send, infobip_sandbox, eligible=eligible)
    stats = infobip_sandbox.stats()
    assert stats["faults"].get("accept_then_fail") and stats["faults"].get("timeout"), stats["faults"]
    lookups = sum(count for path, count in stats["requests_by_path"].items() if path.endswith("/logs"))
    assert lookups > 0, stats["requests_by_path"]
    # Messages the provider had stored were recognised from its logs before anything was resent.
    assert DeliveryReport.objects.filter(source=DeliveryReport.Source.LOGS, message__send=send).exists()

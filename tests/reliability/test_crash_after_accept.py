"""The crash that matters most, injected on purpose: the provider accepted a batch, and the worker dies before it
records the answer.

The sandbox's hold hook (docs/sandbox.md) keeps the answer of the next send back: the batch is stored and in the
logs, the worker waits for the answer, and the test SIGKILLs the worker's whole process group while it waits. The
database then knows nothing of the batch (still ``sending`` under the dead worker's claim). After the lease and the
longest request, the reconciler of a fresh worker must find those messages in the provider's logs and accept them,
never send them again; the rest of the campaign completes, each message accepted exactly once.
"""

from __future__ import annotations

import time

import pytest

from notifications.models import DeliveryReport, Message, message_id_for, pk_from_message_id
from tests.reliability.helpers import (
    assert_exactly_once,
    clients_create,
    send_start,
    state_counts,
    wait_until_settled,
)

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]
# A 5 s read timeout leaves the test ample time to see the answer held and kill the worker before the worker would
# give up on it (the test polls every 10 ms); the 16 s lease keeps room for the fence (2 × 1 s + 5 s + 1 s).
WORKER = {"DISPATCH_BATCH_SIZE": 100, "INFOBIP_TIMEOUT_READ": 5, "DISPATCH_LEASE_SECONDS": 16}


def _held_ids(send, sandbox, worker, timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    while not (status := sandbox.hold_status())["holding"]:
        if time.monotonic() > deadline:
            pytest.fail(
                f"no send reached the sandbox within {timeout:.0f}s: {state_counts(send)}, {status}, "
                f"{sandbox.stats()['requests_by_path']}\n{worker.log_tail()}"
            )
        time.sleep(0.01)
    return list(status["held_ids"])


def test_worker_killed_between_the_providers_2xx_and_its_commit(celery_worker_factory, infobip_sandbox):
    eligible = clients_create(1000, email=False)
    infobip_sandbox.hold(1)
    worker = celery_worker_factory(concurrency=1, beat=True, **WORKER)
    send = send_start(channels=["sms"])
    held = _held_ids(send, infobip_sandbox, worker)
    worker.kill()

    # The kill fell exactly in the window: the provider has the batch, the database does not know it.
    pks = [pk_from_message_id(message_id) for message_id in held]
    assert set(held) <= set(infobip_sandbox.stats(ids=True)["ids"])
    rows = Message.objects.filter(pk__in=pks)
    assert rows.count() == len(held) == WORKER["DISPATCH_BATCH_SIZE"]
    window = set(rows.values_list("state", "attempts", "error_text"))
    assert window == {(Message.State.SENDING, 1, "")}, f"the kill missed the window: {window}\n{worker.log_tail()}"

    worker.restart()
    deadline = time.monotonic() + 90
    while rows.filter(state=Message.State.SENDING).exists():
        assert time.monotonic() < deadline, f"the held batch was not reconciled\n{worker.log_tail()}"
        time.sleep(0.25)
    # Found by lookup in the provider's logs, never sent again.
    looked_up = DeliveryReport.objects.filter(source=DeliveryReport.Source.LOGS, message_id__in=pks)
    outcome = set(rows.values_list("state", "attempts"))
    assert set(looked_up.values_list("message_id", flat=True)) == set(pks), f"{outcome}\n{worker.log_tail()}"
    assert {attempts for _state, attempts in outcome} == {1}, outcome

    infobip_sandbox.release()  # the answer goes to a dead socket; the reports follow
    wait_until_settled(send, timeout=90, workers=[worker], sandbox=infobip_sandbox)
    assert_exactly_once(send, infobip_sandbox, eligible=eligible, note=f"{len(held)} accepted, then the kill")
    assert all(infobip_sandbox.stats(ids=True)["ids"][message_id_for(pk)] == 1 for pk in pks)

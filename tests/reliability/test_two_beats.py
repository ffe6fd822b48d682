"""Two beat schedulers (and a crowd of threads) racing to start the same scheduled campaign.

Research note §1.1: Celery allows a single beat, and a second one doubles every periodic task. The engine must not
care: ``send_start_due`` moves a send from scheduled to queued with one conditional UPDATE, so whoever loses the
race starts nothing; materialize moves it from queued to sending once (under the send's row lock), and the sweeper
does not ring a second materialize while one is in flight. What users rely on is asserted: the send started once
and materialized once (each transition is logged where it happens, by whichever process made it), and every
eligible message was accepted exactly once at the sandbox. How many Celery messages a loaded machine delivers on
the way is not part of the guarantee, so it is not counted.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Send
from notifications.services.sends import send_start_due
from tests.reliability.helpers import assert_exactly_once, clients_create, send_start, wait_until_settled

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]
CLIENTS = 1000
THREADS = 6


def _race(send_id: int, due_at, started: list[int], barrier: threading.Barrier) -> None:
    """Wait for the others, then call the starter until the send has left ``scheduled``."""
    try:
        barrier.wait(timeout=30)
        while timezone.now() < due_at:
            time.sleep(0.005)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            started.extend(pk for pk in send_start_due() if pk == send_id)
            if not Send.objects.filter(pk=send_id, state=Send.State.SCHEDULED).exists():
                return
            time.sleep(0.002)
    finally:
        connection.close()


def test_two_beats_and_racing_starters_start_a_scheduled_send_once(celery_worker_factory, infobip_sandbox):
    """Two worker processes with their own beat (sweep every 0.5 s) plus 6 threads: one start, no duplicates."""
    beats = [celery_worker_factory(concurrency=2, beat=True, DISPATCH_SWEEP_SECONDS=0.5) for _ in range(2)]
    eligible = clients_create(CLIENTS, email=False)
    send = send_start(channels=["sms"], in_seconds=3)
    assert send.state == Send.State.SCHEDULED
    due_at = send.scheduled_at + timedelta(milliseconds=1)
    started: list[int] = []
    barrier = threading.Barrier(THREADS)
    threads = [threading.Thread(target=_race, args=(send.pk, due_at, started, barrier)) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    assert len(started) <= 1, f"the threads started the send {len(started)} times"

    wait_until_settled(send, timeout=90, workers=beats, sandbox=infobip_sandbox)
    assert_exactly_once(send, infobip_sandbox, eligible=eligible)
    logs = [beat.log_path.read_bytes() for beat in beats]
    started_by_beats = sum(log.count(f"scheduled send {send.pk} started".encode()) for log in logs)
    assert len(started) + started_by_beats == 1, f"started {len(started)} + {started_by_beats} times"
    materialized = sum(log.count(f"send {send.pk} materialized:".encode()) for log in logs)
    assert materialized == 1, f"the send moved from queued to sending {materialized} times"
    assert all(b"beat: Starting" in log for log in logs), "both beats ran"

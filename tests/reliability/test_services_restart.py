"""Infrastructure failures in the middle of a campaign: the broker (Redis) restarted empty, and every PostgreSQL
connection of the test database terminated, several times.

The Redis here is the test's own ``redis-server`` on a free port, without persistence: killing it loses every
queued Celery message and the rate limiter's state. The campaign is a scheduled one, so the worker's own beat
starts it through that Redis. Only the message rows matter: the sweeper rings again once Redis is back.
``pg_terminate_backend`` only touches backends of the test's own database (``current_database()``).
"""

from __future__ import annotations

import time

import pytest
from django.db import connection

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
    pytest.mark.timeout(240),
]
CLIENTS = 2000
# Rate-limited so the campaign lasts long enough to be interrupted (about 10 s for 3,800 messages); a 10 s lease and
# 2 s reads, so rows of a task that lost its connection are taken over 15 s after their claim (lease + 2 × 1 s
# connect + 2 s read + 1 s margin).
WORKER = {
    "DISPATCH_BATCH_SIZE": 100,
    "DISPATCH_SMS_RATE_PER_SECOND": 200,
    "DISPATCH_EMAIL_RATE_PER_SECOND": 200,
    "DISPATCH_LEASE_SECONDS": 10,
    "INFOBIP_TIMEOUT_READ": 2,
}


def _wait_for_share(send, eligible: int, share: float, worker, timeout: float = 90) -> int:
    deadline = time.monotonic() + timeout
    while (sent := sent_count(send)) < eligible * share:
        if time.monotonic() > deadline:
            pytest.fail(f"{share:.0%} not reached: {state_counts(send)}\n{worker.log_tail()}")
        time.sleep(0.05)
    return sent


def test_redis_restarted_mid_campaign(celery_worker_factory, infobip_sandbox, own_redis):
    """Redis SIGKILLed at ~30 % and started again empty on the same port: the campaign completes exactly once."""
    worker = celery_worker_factory(CELERY_BROKER_URL=own_redis.url, REDIS_URL=own_redis.url, **WORKER)
    eligible = clients_create(CLIENTS) + CLIENTS
    send = send_start(channels=["sms", "email"], in_seconds=1)
    _wait_for_share(send, eligible, 0.3, worker)
    own_redis.kill()
    time.sleep(2)
    sent_while_down = sent_count(send)
    own_redis.start()
    assert sent_while_down < eligible, "Redis came back before the campaign ended"
    wait_until_settled(send, timeout=120, workers=[worker], sandbox=infobip_sandbox)
    assert_exactly_once(send, infobip_sandbox, eligible=eligible)
    assert b"Connection to broker lost" in worker.log_path.read_bytes(), "the worker never saw Redis go"


def _terminate_test_backends() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_postgres_connections_dropped_mid_campaign(celery_worker_factory, infobip_sandbox):
    """Every other connection to the test database terminated at 25, 50 and 75 %: the campaign completes once."""
    worker = celery_worker_factory(**WORKER)
    eligible = clients_create(CLIENTS) + CLIENTS
    send = send_start(channels=["sms", "email"])
    terminated = []
    for share in (0.25, 0.5, 0.75):
        _wait_for_share(send, eligible, share, worker)
        terminated.append(_terminate_test_backends())
    assert sum(terminated) > 0, "no worker connection was open to terminate"
    wait_until_settled(send, timeout=120, workers=[worker], sandbox=infobip_sandbox)
    assert_exactly_once(send, infobip_sandbox, eligible=eligible)
    worker.process.poll()
    assert worker.process.returncode is None, "the worker survived the dropped connections"

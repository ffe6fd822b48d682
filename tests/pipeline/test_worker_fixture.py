"""The worker fixture's own guarantee: whatever broker the test process published to before, once a test worker
starts, the test process's doorbells go to that worker's broker (CI's first red run: they went to .ci/run's
CELERY_BROKER_URL, the worker listened on TEST_REDIS_URL, and eight worker tests waited for messages that never came).
"""

from __future__ import annotations

import pytest

from outage_portal.celery import app
from tests.fixtures.worker import _drop_publisher_connections

pytestmark = [pytest.mark.redis]


def test_publishes_go_to_the_broker_named_last(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
    _drop_publisher_connections()
    with app.producer_or_acquire() as producer:  # an earlier test rang a doorbell: the pool is bound to DB 13
        assert producer.connection.as_uri().endswith("/13")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")
    _drop_publisher_connections()
    with app.producer_or_acquire() as producer:
        assert producer.connection.as_uri().endswith("/12")
    _drop_publisher_connections()  # the next worker test, same broker: a fresh pool, never the closed one
    with app.producer_or_acquire() as producer:
        assert producer.connection.as_uri().endswith("/12")
    monkeypatch.undo()
    _drop_publisher_connections()

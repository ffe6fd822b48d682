"""Throughput: a 20,000-client campaign (SMS and email) through two worker processes and the sandbox.

Skipped unless ``PIPELINE_BENCH=1``; prints messages per second from send creation to every eligible message
accepted by the sandbox, and to every report applied (delivered). Run:
``PIPELINE_BENCH=1 pytest tests/pipeline/test_benchmark.py -s``.
"""

from __future__ import annotations

import os
import time

import pytest

from clients.models import Client
from notifications.models import Message
from notifications.services.sends import send_create
from tests.pipeline.factories import CONTENT, VARIABLES

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(900),
    pytest.mark.skipif(os.environ.get("PIPELINE_BENCH") != "1", reason="benchmark: set PIPELINE_BENCH=1"),
]
CLIENTS = int(os.environ.get("PIPELINE_BENCH_CLIENTS", "20000"))


def test_throughput_two_workers(celery_worker_factory, infobip_sandbox):
    """Two worker processes send 2 × CLIENTS messages; the rate is printed and every message is accepted once."""
    Client.objects.bulk_create(
        [
            Client(
                external_ref=f"B-{i:06d}",
                name=f"Client {i}",
                phone=f"+3362{i:06d}1",
                email=f"c{i}@customer.example.com",
                language="fr" if i % 4 == 0 else "en",
            )
            for i in range(CLIENTS)
        ],
        batch_size=2000,
    )
    batch = os.environ.get("PIPELINE_BENCH_BATCH", "500")
    celery_worker_factory(concurrency=1, beat=True, DISPATCH_BATCH_SIZE=batch, DISPATCH_LEASE_SECONDS=60)
    celery_worker_factory(concurrency=1, beat=False, DISPATCH_BATCH_SIZE=batch, DISPATCH_LEASE_SECONDS=60)
    started = time.monotonic()
    send = send_create(label="bench", channels=["sms", "email"], audience={}, content=CONTENT, variables=VARIABLES)
    total = CLIENTS * 2
    accepted_at = delivered_at = None
    while time.monotonic() - started < 800:
        done = Message.objects.filter(send=send, state__in=("accepted", "delivered")).count()
        if accepted_at is None and done == total:
            accepted_at = time.monotonic() - started
        if Message.objects.filter(send=send, state="delivered").count() == total:
            delivered_at = time.monotonic() - started
            break
        time.sleep(0.25)
    stats = infobip_sandbox.stats()
    line = (
        f"\nBENCH {total} messages, batch {batch}, 2 worker processes (concurrency 1 each): "
        f"all accepted in {accepted_at:.1f}s = {total / accepted_at:.0f} msg/s; "
        f"all delivered in {delivered_at:.1f}s = {total / delivered_at:.0f} msg/s; "
        f"sandbox requests {stats['requests']}, duplicates {stats['duplicate_ids']}"
    )
    print(line)  # noqa: T201 (the benchmark's result, shown with -s)
    assert stats["duplicate_ids"] == 0 and stats["messages_accepted"] == total

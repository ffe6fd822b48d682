"""A paced send end to end: a real Celery worker (two processes), PostgreSQL, Redis and the sandbox over HTTP.

60 SMS at 120 per minute take about 30 s with one worker; with two workers sharing the pace through Redis, 250 SMS
at 240 per minute are held to the pace within 10 % over a whole minute (issue 15). The sandbox's per-id counts show
every message was accepted exactly once.
"""

from __future__ import annotations

import time

import pytest
from django.db.models import Count, Max, Min

from clients.models import Client
from notifications.models import Message, Send, message_id_for
from notifications.services.sends import send_create
from tests.wizard.factories import content_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(240),
]
S = Message.State


@pytest.mark.parametrize(
    ("workers", "clients", "pace"),
    [
        (1, 60, 120),  # 2 a second: 60 messages span (60 - 2) / 2 = 29 s from the first batch to the last
        (2, 250, 240),  # 4 a second: a whole minute of pace, then 10 more messages after it
    ],
)
def test_a_paced_send_holds_its_pace_and_sends_each_message_once(
    celery_worker_factory, infobip_sandbox, workers, clients, pace
):
    """One worker, or two sharing the pace through Redis (each with two processes)."""
    worker = [celery_worker_factory() for _ in range(workers)][0]
    Client.objects.bulk_create(
        [
            Client(external_ref=f"P-{i:03d}", name=f"Client {i}", phone=f"+3362{i:06d}1", uses_sms_service=True)
            for i in range(clients)
        ]
    )
    started = time.monotonic()
    send = send_create(
        label="paced",
        channels=["sms"],
        audience={"builtin": ["all_clients"]},
        content=content_for("en"),
        variables={"service": "Internet"},
        pace_per_minute=pace,
    )
    deadline = started + 180
    while (
        Message.objects.filter(send=send, accepted_at__isnull=True).exists()
        or not Message.objects.filter(send=send).exists()
    ):
        assert time.monotonic() < deadline, (
            dict(Message.objects.filter(send=send).values_list("state").annotate(n=Count("pk"))),
            worker.log_tail(),
        )
        time.sleep(0.5)
    span = Message.objects.filter(send=send).aggregate(first=Min("accepted_at"), last=Max("accepted_at"))
    spread = (span["last"] - span["first"]).total_seconds()
    per_batch = pace // 60  # the batch is a second of the pace
    paced_span = (clients - per_batch) / per_batch  # seconds from the first batch to the last at exactly the pace
    # 10 % tolerance for clock and rounding.
    assert spread >= paced_span * 0.9, f"faster than the pace: {spread:.1f} s for {paced_span:.0f} s"
    assert Message.objects.filter(send=send).count() == clients
    ids = infobip_sandbox.stats(ids=True)["ids"]
    expected = {message_id_for(pk) for pk in Message.objects.filter(send=send).values_list("pk", flat=True)}
    assert set(ids) == expected and set(ids.values()) == {1}, "each message accepted exactly once"
    per_second: dict[int, int] = {}
    first = span["first"]
    for accepted_at in Message.objects.filter(send=send).values_list("accepted_at", flat=True):
        second = int((accepted_at - first).total_seconds())
        per_second[second] = per_second.get(second, 0) + 1
    # Never a burst: in any 10 s window at most the pace's share, plus one batch for the window's edge.
    for start in range(0, int(spread) + 1):
        assert sum(per_second.get(s, 0) for s in range(start, start + 10)) <= pace // 6 + per_batch, per_second
    if workers == 2:
        # Over a whole minute the pace holds within 10 % both ways: never above it, and not lagging behind it.
        first_minute = sum(per_second.get(s, 0) for s in range(60))
        assert pace * 0.9 <= first_minute <= pace * 1.1, (first_minute, per_second)
    assert Send.objects.get(pk=send.pk).pace_per_minute == pace

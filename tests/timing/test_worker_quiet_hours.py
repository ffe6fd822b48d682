"""Quiet hours end to end: a real Celery worker (with its beat's sweeper), PostgreSQL, Redis, the sandbox over HTTP.

The window is computed from the current time in Tokyo (two hours around it), so Tokyo is inside it and São Paulo,
twelve hours behind, is outside it whatever time the test runs. The sandbox's per-id records are the witness.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import Client
from notifications.models import Message, Send, message_id_for
from notifications.services.sends import send_create
from tests.timing.quiet import window_around_tokyo_now, window_ended_in_tokyo
from tests.wizard.factories import content_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(180),
]
S = Message.State
EACH = 20


def _clients(zone: str, prefix: str, digit: int) -> list[int]:
    clients = Client.objects.bulk_create(
        [
            Client(
                external_ref=f"{prefix}-{i:03d}",
                name=f"{prefix} {i}",
                phone=f"+3362{digit}{i:05d}0",
                uses_sms_service=True,
                time_zone=zone,
            )
            for i in range(EACH)
        ]
    )
    return [client.pk for client in clients]


def _wait(condition, worker, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}\n{worker.log_tail()}")
        time.sleep(0.3)


def test_a_recipient_inside_quiet_hours_waits_while_another_is_sent(celery_worker_factory, infobip_sandbox):
    worker = celery_worker_factory(QUIET_HOURS=window_around_tokyo_now(), QUIET_HOURS_KINDS="maintenance")
    tokyo, sao_paulo = _clients("Asia/Tokyo", "TYO", 1), _clients("America/Sao_Paulo", "SAO", 2)
    send = send_create(
        label="maintenance tonight",
        channels=["sms"],
        audience={"builtin": ["all_clients"]},
        content=content_for("en"),
        variables={"service": "Internet"},
        notice_kind="maintenance",
        valid_until=timezone.now() + timedelta(hours=24),
    )
    outside = Message.objects.filter(send=send, client_id__in=sao_paulo)
    inside = Message.objects.filter(send=send, client_id__in=tokyo)
    _wait(lambda: outside.filter(state=S.DELIVERED).count() == EACH, worker, "São Paulo not delivered")
    time.sleep(3)  # a few more dispatch and sweep rounds: the held rows must stay held
    assert inside.count() == EACH and set(inside.values_list("state", flat=True)) == {S.PENDING}
    assert set(inside.values_list("attempts", flat=True)) == {0}
    ends = set(inside.values_list("next_attempt_at", flat=True))
    assert len(ends) == 1 and timedelta(minutes=50) < ends.pop() - timezone.now() <= timedelta(hours=1)
    received = infobip_sandbox.stats(ids=True)["ids"]
    assert set(received) == {message_id_for(pk) for pk in outside.values_list("pk", flat=True)}
    assert set(received.values()) == {1}
    assert Send.objects.get(pk=send.pk).state == Send.State.SENDING  # not complete while some wait

    # The window ends (rather than waiting for it, a worker whose window ended a minute ago in Tokyo takes over,
    # and the rows' time comes): its sweeper wakes the send, and each message goes out once.
    worker.close()
    worker = celery_worker_factory(QUIET_HOURS=window_ended_in_tokyo(), QUIET_HOURS_KINDS="maintenance")
    inside.update(next_attempt_at=timezone.now())
    _wait(lambda: inside.filter(state=S.DELIVERED).count() == EACH, worker, "Tokyo not sent after the window")
    received = infobip_sandbox.stats(ids=True)["ids"]
    assert len(received) == 2 * EACH and set(received.values()) == {1}
    _wait(lambda: Send.objects.get(pk=send.pk).state == Send.State.COMPLETED, worker, "send not completed")

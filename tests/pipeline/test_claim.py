"""Claiming on PostgreSQL: concurrent workers never take the same row (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from notifications.models import Message, Send
from notifications.services.claim import messages_claim
from notifications.services.materialize import send_materialize
from tests.factories import ClientFactory
from tests.pipeline.factories import SendFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_concurrent_claimers_never_overlap():
    """Four threads (four connections) claiming batches of one send get disjoint rows covering every row once."""
    ClientFactory.create_batch(150)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"])
    send_materialize(send_id=send.pk)
    claimed: list[list[int]] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def claimer() -> None:
        try:
            start.wait()
            while True:
                claim = messages_claim(send_id=send.pk, channel="sms", limit=7, lease_seconds=60)
                if not claim.rows:
                    return
                with lock:
                    claimed.append([row.id for row in claim.rows])
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    ids = [pk for batch in claimed for pk in batch]
    assert len(ids) == len(set(ids)) == 150
    assert set(Message.objects.filter(send=send).values_list("state", flat=True)) == {"sending"}
    assert set(Message.objects.filter(send=send).values_list("attempts", flat=True)) == {1}
    assert Message.objects.filter(send=send).values("claim_token").distinct().count() == len(claimed)


def test_paused_send_is_not_claimed():
    """Rows of a send that is not sending are never claimed."""
    ClientFactory.create_batch(3)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"])
    send_materialize(send_id=send.pk)
    Send.objects.filter(pk=send.pk).update(state=Send.State.PAUSED)
    assert messages_claim(send_id=send.pk, channel="sms", limit=10, lease_seconds=60).rows == []

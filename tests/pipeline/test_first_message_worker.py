"""First message before the whole audience is written: a real worker sends the first chunks' messages while
materialize is still writing the rest, and every recipient still gets exactly one message per channel.

To make "still writing" certain rather than a matter of speed, the test holds the last client's SMS row in an open
transaction of its own (an uncommitted row with the same (send, client, channel) key): materialize's INSERT of the
last chunk waits on that key, as it would behind any slow statement, until the test rolls it back. By then the
sandbox must have accepted messages of the earlier chunks; afterwards the audience completes, each message once.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from clients.models import Client
from notifications.models import Message, Send, message_id_for
from notifications.services.sends import send_create, send_start_due
from tests.pipeline.factories import CONTENT, VARIABLES

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(300),
]
CLIENTS = 3000
S = Message.State


def _clients() -> list[Client]:
    Client.objects.bulk_create(
        [
            Client(
                external_ref=f"FM-{i:06d}",
                name=f"Client {i}",
                phone=f"+3362{i:06d}1",
                email=f"first{i}@customer.example.com",
                uses_sms_service=True,
                uses_email_service=True,
            )
            for i in range(CLIENTS)
        ],
        batch_size=1000,
    )
    return list(Client.objects.order_by("pk"))


class RowHolder(threading.Thread):
    """Holds an uncommitted message row (send, client, SMS) on a connection of its own until released."""

    def __init__(self, send: Send, client: Client) -> None:
        super().__init__(daemon=True)
        self.send, self.client = send, client
        self.holding, self.release = threading.Event(), threading.Event()

    def run(self) -> None:
        try:
            with transaction.atomic():
                # The foreign keys are DEFERRABLE INITIALLY DEFERRED: no lock on the send row, only the unique key.
                Message.objects.create(send=self.send, client=self.client, channel="sms", destination="held")
                self.holding.set()
                self.release.wait(timeout=240)
                transaction.set_rollback(True)
        finally:
            connection.close()


def _wait(check, what: str, worker, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not within {timeout:.0f} s\n{worker.log_tail()}")
        time.sleep(0.2)


def test_first_messages_are_accepted_while_materialize_still_writes(celery_worker_factory, infobip_sandbox):
    worker = celery_worker_factory(MATERIALIZE_CHUNK_SIZE=500)
    clients = _clients()
    send = send_create(
        label="first message",
        channels=["sms", "email"],
        audience={"builtin": ["all_clients"]},
        content=CONTENT,
        variables=VARIABLES,
        scheduled_at=timezone.now() + timedelta(hours=1),  # nothing is rung until the row is held
    )
    holder = RowHolder(send, clients[-1])
    holder.start()
    try:
        assert holder.holding.wait(timeout=30)
        Send.objects.filter(pk=send.pk).update(scheduled_at=timezone.now())
        assert send_start_due() == [send.pk]
        accepted = Message.objects.filter(send=send, accepted_at__isnull=False)
        _wait(lambda: accepted.exists(), "a first message accepted", worker)
        _wait(lambda: infobip_sandbox.stats()["messages_accepted"] > 0, "the sandbox's first acceptance", worker)
        send.refresh_from_db()
        assert send.state == Send.State.SENDING
        assert send.materialized_at is None, "materialize is still writing (held on the last client's row)"
    finally:
        holder.release.set()
        holder.join(timeout=30)
    open_rows = Message.objects.filter(send=send, state__in=(S.PENDING, S.SENDING))
    _wait(lambda: Send.objects.filter(pk=send.pk, materialized_at__isnull=False).exists(), "materialize", worker)
    _wait(lambda: not open_rows.exists(), "every message sent", worker)
    send.refresh_from_db()
    first = Message.objects.filter(send=send).aggregate(first=Min("accepted_at"), last=Max("accepted_at"))
    assert first["first"] < send.materialized_at < first["last"], "dispatch ran before and after the last chunk"
    rows = Message.objects.filter(send=send)
    per_key = rows.values("client_id", "channel").annotate(n=Count("id"))
    assert per_key.count() == CLIENTS * 2 and {row["n"] for row in per_key} == {1}
    assert not rows.exclude(state__in=(S.ACCEPTED, S.DELIVERED)).exists()
    ids = infobip_sandbox.stats(ids=True)["ids"]
    assert set(ids) == {message_id_for(pk) for pk in rows.values_list("pk", flat=True)}
    assert set(ids.values()) == {1}, "no message was accepted twice"

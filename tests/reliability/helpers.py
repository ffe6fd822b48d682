"""Shared pieces of the reliability suite: bulk clients, waiting for a campaign to settle, the exactly-once check.

"Exactly once" is checked from two independent witnesses: the sandbox's own count of every message id it accepted
(no id twice, and exactly our eligible messages) and the database (every eligible row in a final state reached
through the provider, none pending, sending or merely accepted).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from clients.models import Client
from notifications.models import Message, Send, message_id_for
from notifications.services.sends import send_create
from tests.fixtures.figures import measure_campaign
from tests.pipeline.factories import CONTENT, VARIABLES

S = Message.State
OPEN_STATES = (S.PENDING, S.SENDING, S.ACCEPTED)
# Final states a message reaches only through the provider: it was sent (once) and a report or a lookup came back.
SENT_FINAL_STATES = (S.DELIVERED, S.UNDELIVERABLE, S.REJECTED, S.EXPIRED)


def clients_create(count: int, *, prefix: str = "REL", email: bool = True) -> int:
    """``count`` active clients with a phone (and an email); every 10th opted out of SMS. Returns eligible SMS."""
    rows = [
        Client(
            external_ref=f"{prefix}-{i:06d}",
            name=f"Client {i}",
            language="fr" if i % 3 == 0 else "en",
            phone=f"+3362{i:07d}",
            email=f"c{i}@customer.example.com" if email else "",
            sms_consent=i % 10 != 4,
            uses_sms_service=True,
            uses_email_service=email,
        )
        for i in range(count)
    ]
    Client.objects.bulk_create(rows, batch_size=2000)
    return sum(1 for i in range(count) if i % 10 != 4)


def send_start(*, channels: Iterable[str] = ("sms",), in_seconds: float = 0.0, label: str = "reliability") -> Send:
    """A send to every client; ``in_seconds`` > 0 makes it scheduled so a worker's own beat starts it."""
    scheduled_at = timezone.now() + timedelta(seconds=in_seconds) if in_seconds else None
    return send_create(
        label=label,
        channels=list(channels),
        audience={"builtin": ["all_clients"]},
        content=CONTENT,
        variables=VARIABLES,
        reference="reliability",
        scheduled_at=scheduled_at,
    )


def state_counts(send: Send) -> dict[str, int]:
    return dict(Message.objects.filter(send=send).values_list("state").annotate(n=Count("pk")))


def sent_count(send: Send) -> int:
    """Rows the provider has (accepted, or already final through a report)."""
    return Message.objects.filter(send=send, state__in=(S.ACCEPTED, *SENT_FINAL_STATES)).count()


def wait_until_settled(send: Send, *, timeout: float, workers: Iterable = (), sandbox=None) -> dict[str, int]:
    """Wait until no row of the send is pending, sending or accepted (every report in) and the sweeper has marked
    the send completed; fail with the workers' logs if that takes longer than ``timeout`` (with ``sandbox``, the
    scenario's figures are recorded first, stuck rows included)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = state_counts(send)
        if counts and not any(counts.get(state) for state in OPEN_STATES):
            send.refresh_from_db()
            if send.state == Send.State.COMPLETED:
                return counts
        if time.monotonic() > deadline:
            send.refresh_from_db()
            if sandbox is not None:
                measure_campaign(send, sandbox, note="did not settle")
            logs = "\n".join(f"--- {worker.log_path}\n{worker.log_tail()}" for worker in workers)
            pytest.fail(f"send {send.pk} not settled within {timeout:.0f}s: {counts}, send {send.state}\n{logs}")
        time.sleep(0.25)


def assert_exactly_once(send: Send, sandbox, *, eligible: int, note: str = "") -> None:
    """Every eligible message accepted exactly once by the sandbox, and every row of the send final in the DB.

    The scenario's figures (tests/fixtures/figures.py) are recorded first, so a failing run still shows them."""
    measure_campaign(send, sandbox, note=note)
    rows = Message.objects.filter(send=send)
    assert not rows.filter(state__in=OPEN_STATES).exists(), state_counts(send)
    sent = rows.exclude(state=S.SKIPPED)
    assert sent.count() == eligible, state_counts(send)
    assert set(sent.values_list("state", flat=True)) <= set(SENT_FINAL_STATES), state_counts(send)
    stats = sandbox.stats(ids=True)
    assert stats["duplicates"] == {}, f"ids accepted more than once: {list(stats['duplicates'].items())[:10]}"
    assert stats["distinct_ids"] == eligible
    expected = {message_id_for(pk) for pk in sent.values_list("pk", flat=True)}
    assert set(stats["ids"]) == expected, "the sandbox accepted exactly our eligible messages"
    assert set(stats["ids"].values()) == {1}
    send.refresh_from_db()
    assert send.state == Send.State.COMPLETED

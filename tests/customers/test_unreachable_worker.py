"""Issue 13 item 10 end to end: a real worker sends to the sandbox, whose delivery reports (over HTTP, to the live
server) say an address bounced and a number is unreachable for good; the client is marked, and the next notice
skips those addresses with their own reasons while the good ones still go out."""

from __future__ import annotations

import time

import pytest

from clients.models import Client
from notifications.models import Message
from notifications.services.sends import send_create
from tests.factories import ClientFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(240),
]
CONTENT = {
    "en": {"sms": {"text": "Fibre cut."}, "email": {"subject": "Outage", "text": "Fibre cut.", "html": "<p>x</p>"}}
}


def wait_final(send, count: int, worker) -> dict[tuple[str, str], str]:
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        rows = {(m.client.external_ref, m.channel): m.state for m in send.messages.select_related("client")}
        if len(rows) == count and all(state in Message.FINAL_STATES for state in rows.values()):
            return rows
        time.sleep(0.5)
    pytest.fail(f"messages not final: {rows}\n{worker.log_tail()}")


def test_bounces_and_unreachable_numbers_are_marked_then_skipped(celery_worker_process, infobip_sandbox):
    ClientFactory(external_ref="BAD", email="bounce.ann@customer.example.com", phone="+33610000666")
    ClientFactory(external_ref="GOOD")
    first = send_create(label="first", channels=["sms", "email"], audience={}, content=CONTENT)
    states = wait_final(first, 4, celery_worker_process)
    assert states[("BAD", "sms")] == states[("BAD", "email")] == Message.State.UNDELIVERABLE
    bad = Client.objects.get(external_ref="BAD")
    deadline = time.monotonic() + 30
    while bad.email_bounced_at is None or bad.phone_unreachable_at is None:
        assert time.monotonic() < deadline, "the reports did not mark the addresses"
        time.sleep(0.5)
        bad.refresh_from_db()
    assert "EC_ABSENT_SUBSCRIBER" in bad.email_bounce_reason and "EC_ABSENT_SUBSCRIBER" in bad.phone_unreachable_reason
    second = send_create(label="second", channels=["sms", "email"], audience={}, content=CONTENT)
    states = wait_final(second, 4, celery_worker_process)
    skipped = dict(second.messages.filter(client__external_ref="BAD").values_list("channel", "skip_reason"))
    assert skipped == {"sms": "unreachable", "email": "bounced"}
    assert states[("GOOD", "sms")] == states[("GOOD", "email")] == Message.State.DELIVERED

"""Failover end to end: a real Celery worker (with its beat: the sweeper), PostgreSQL, Redis, the sandbox over HTTP
and the live report webhook. A notice on WhatsApp → SMS where a share of WhatsApp messages fail (or are never
reported) reaches every eligible client exactly once on exactly one channel: one delivered message per client, every
message accepted once by the sandbox."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db.models import Count

from clients.models import Client
from notifications.models import Message, Send, message_id_for
from notifications.selectors import failover_counts
from notifications.services.sends import send_create
from tests.pipeline.factories import VARIABLES

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(420),
]
S = Message.State
SENDERS = {"INFOBIP_WHATSAPP_SENDER": "447491163862", "INFOBIP_VIBER_SENDER": "OutageInfo"}
CONTENT = {
    "en": {
        "whatsapp": {"template": "outage_notice", "placeholders": "{{ client_name }}\n{{ incident_title }}"},
        "sms": {"text": "Hi {{ client_name }}, {{ incident_title }} affects {{ service }}."},
    }
}


def _clients(count: int) -> dict[str, set[int]]:
    """Clients on WhatsApp, SMS-only (no WhatsApp consent), preferring SMS, and unreachable (no number)."""
    rows = [
        Client(
            external_ref=f"FO-{i:05d}",
            name=f"Client {i}",
            phone="" if i % 50 == 7 else f"+3362{i:06d}1",
            whatsapp_consent=i % 10 != 3,
            preferred_channel="sms" if i % 25 == 11 else "",
        )
        for i in range(count)
    ]
    Client.objects.bulk_create(rows)
    ids = dict(Client.objects.values_list("external_ref", "pk"))
    by_ref = {f"FO-{i:05d}": i for i in range(count)}
    eligible = {pk for ref, pk in ids.items() if by_ref[ref] % 50 != 7}
    return {"eligible": eligible, "unreachable": set(ids.values()) - eligible}


def _wait_until_settled(send: Send, worker, timeout: float) -> dict[str, int]:
    """Until no row is in flight and the send is completed (its chain can no longer fail over)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = dict(Message.objects.filter(send=send).values_list("state").annotate(n=Count("pk")))
        state = Send.objects.values_list("state", flat=True).get(pk=send.pk)
        if counts and state == Send.State.COMPLETED and not any(counts.get(s) for s in (S.PENDING, S.SENDING)):
            if not Message.objects.filter(send=send, state=S.ACCEPTED, replaced_by__isnull=True).exists():
                return counts
        if time.monotonic() > deadline:
            pytest.fail(f"not settled in {timeout}s: {counts} ({state})\n{worker.log_tail()}")
        time.sleep(1)


def _assert_exactly_once(send: Send, groups: dict[str, set[int]], sandbox) -> None:
    rows = Message.objects.filter(send=send)
    delivered = Counter(rows.filter(state=S.DELIVERED).values_list("client_id", flat=True))
    assert set(delivered) == groups["eligible"], "every eligible client reached"
    assert set(delivered.values()) == {1}, "on exactly one channel"
    assert not rows.filter(client_id__in=groups["unreachable"]).exclude(state=S.SKIPPED).exists()
    ids = sandbox.stats(ids=True)["ids"]
    sent = rows.exclude(state__in=(S.SKIPPED, S.CANCELLED))
    assert set(ids) == {message_id_for(pk) for pk in sent.values_list("pk", flat=True)}
    assert set(ids.values()) == {1}, "no message was accepted twice"
    assert rows.filter(replaces__isnull=False).values("replaces").annotate(n=Count("pk")).filter(n__gt=1).count() == 0


def test_whatsapp_to_sms_chain_reaches_every_client_once(celery_worker_factory, infobip_sandbox, settings):
    settings.INFOBIP_WHATSAPP_SENDER, settings.INFOBIP_VIBER_SENDER = SENDERS.values()
    worker = celery_worker_factory(**SENDERS)
    infobip_sandbox.configure(undeliverable_share={"whatsapp": 0.2})
    groups = _clients(2_000)
    send = send_create(
        label="failover",
        channels=["whatsapp", "sms"],
        failover=["whatsapp", "sms"],
        audience={"builtin": ["all_clients"]},
        content=CONTENT,
        variables=VARIABLES,
    )
    _wait_until_settled(send, worker, timeout=300)
    _assert_exactly_once(send, groups, infobip_sandbox)
    failed_whatsapp = Message.objects.filter(send=send, channel="whatsapp", state=S.UNDELIVERABLE)
    assert 250 < failed_whatsapp.count() < 450  # about 20 % of some 1,750 WhatsApp messages
    counts = failover_counts(send)
    assert counts.through_failover == failed_whatsapp.count()
    assert counts.reached == len(groups["eligible"])
    assert counts.reached_by_channel["whatsapp"] + counts.reached_by_channel["sms"] == counts.reached


def test_not_delivered_within_the_wait_moves_to_the_next_channel(celery_worker_factory, infobip_sandbox, settings):
    settings.INFOBIP_WHATSAPP_SENDER, settings.INFOBIP_VIBER_SENDER = SENDERS.values()
    worker = celery_worker_factory(DISPATCH_SWEEP_SECONDS="1", **SENDERS)
    infobip_sandbox.configure(silent_share={"whatsapp": 0.3})
    groups = _clients(200)
    send = send_create(
        label="failover wait",
        channels=["whatsapp", "sms"],
        failover=["whatsapp", "sms"],
        failover_wait_seconds=5,
        audience={"builtin": ["all_clients"]},
        content=CONTENT,
        variables=VARIABLES,
    )
    _wait_until_settled(send, worker, timeout=180)
    _assert_exactly_once(send, groups, infobip_sandbox)
    waited = Message.objects.filter(send=send, channel="whatsapp", state=S.ACCEPTED)
    assert waited.count() > 20  # never reported: still accepted on WhatsApp, replaced by an SMS
    assert Message.objects.filter(replaces__in=waited, channel="sms", state=S.DELIVERED).count() == waited.count()

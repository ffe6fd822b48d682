"""A notice on browser and app notifications end to end: a real Celery worker, PostgreSQL, Redis and the sandbox
playing a web push service and FCM over HTTP. Every client with a live browser or device is reached exactly once
per channel (each of its browsers and devices gets exactly one request); a 410 retires that subscription; clients
without a browser or device, or who opted out, are skipped with their reason."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.db.models import Count

from clients.consent import consent_set
from clients.models import PushSubscription
from notifications.models import Message, Send
from notifications.services.sends import send_create
from tests.factories import ClientFactory
from tests.pipeline.factories import VARIABLES

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(300),
]
S = Message.State
CLIENTS = 60
CONTENT = {
    "en": {
        "webpush": {"title": "{{ incident_title }}", "text": "Hi {{ client_name }}, {{ service }} is affected."},
        "apppush": {"title": "{{ incident_title }}", "text": "{{ service }}: we are on it."},
    }
}


def _wait_until_sent(send: Send, worker, timeout: float = 180) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while True:
        counts = dict(Message.objects.filter(send=send).values_list("state").annotate(n=Count("pk")))
        if counts and not counts.get(S.PENDING) and not counts.get(S.SENDING):
            return counts
        if time.monotonic() > deadline:
            pytest.fail(f"not sent in {timeout}s: {counts}\n{worker.log_tail()}")
        time.sleep(0.5)


def test_push_notice_reaches_each_browser_and_device_exactly_once(push, push_env, celery_worker_factory):
    worker = celery_worker_factory(**push_env)
    expected_gone, browsers, devices, owner = set(), Counter(), Counter(), {}
    for i in range(CLIENTS):
        client = ClientFactory(external_ref=f"PUSH-{i:04d}")
        if i % 6 != 5:  # a sixth have no browser
            for b in range(1 + i % 2):  # half of them two browsers
                push_id = f"c{i}-b{b}"
                push.browser(push_id).subscribe(client)
                owner[push_id] = client.pk
                browsers[client.pk] += 1
                if i % 10 in (3, 4) and b == 0:  # 410 for some: a second browser (i odd) or the only one
                    expected_gone.add(push_id)
        if i % 3 != 2:
            push.device(client, f"tok-{i}:APA91b")
            devices[client.pk] += 1
        if i % 15 == 7:  # opted out of browser notifications after subscribing
            consent_set(client=client, channel="webpush", given=False, source="test")
    push.configure(gone=sorted(expected_gone))
    send = send_create(
        label="push",
        channels=["webpush", "apppush"],
        audience={"builtin": ["all_clients"]},
        content=CONTENT,
        variables=VARIABLES,
        reference="push",
    )
    _wait_until_sent(send, worker)
    rows = Message.objects.filter(send=send)
    per_client = Counter(rows.values_list("client_id", "channel"))
    assert set(per_client.values()) == {1} and len(per_client) == CLIENTS * 2, "one row per client and channel"
    received = push.received()
    # Each browser subscription and each device token got exactly one request: nobody was notified twice.
    hits = Counter(record["push_id"] for record in received["webpush"])
    assert set(hits.values()) == {1}
    tokens = Counter(record["body"]["message"]["token"] for record in received["fcm"])
    assert set(tokens.values()) == {1}
    web = rows.filter(channel="webpush")
    opted_out = {c for c in browsers if web.filter(client_id=c, skip_reason="opted_out").exists()}
    assert len(opted_out) == sum(1 for i in range(CLIENTS) if i % 15 == 7 and i % 6 != 5)
    assert web.filter(skip_reason="no_browser").count() == CLIENTS - len(browsers)
    assert set(hits) == {push_id for push_id, client_id in owner.items() if client_id not in opted_out}
    # Accepted by at least one browser, or rejected when its only browser is gone.
    for row in web.exclude(state=S.SKIPPED):
        live = browsers[row.client_id] - sum(1 for pid in expected_gone if owner[pid] == row.client_id)
        assert row.state == (S.ACCEPTED if live else S.REJECTED), (row.client_id, row.state)
    assert web.filter(state=S.REJECTED, error_code="GONE").exists()
    gone = set(PushSubscription.objects.filter(gone_at__isnull=False).values_list("endpoint", flat=True))
    assert gone == {push.browsers[pid].endpoint for pid in expected_gone if owner[pid] not in opted_out}
    app = rows.filter(channel="apppush")
    assert set(app.exclude(state=S.SKIPPED).values_list("state", flat=True)) == {S.ACCEPTED}
    assert app.filter(state=S.ACCEPTED).count() == len(devices) == len(tokens)
    assert app.filter(skip_reason="no_device").count() == CLIENTS - len(devices)
    send.refresh_from_db()
    assert send.state == Send.State.COMPLETED

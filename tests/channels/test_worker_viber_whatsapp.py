"""A notice on Viber and WhatsApp end to end: a real Celery worker, PostgreSQL, Redis, the sandbox over HTTP and the
live report webhook. Every client who opted in is delivered exactly once per channel; the others are skipped with
their reason, as on SMS and email."""

from __future__ import annotations

import time

import pytest
from django.db.models import Count

from clients.models import Client
from notifications.models import Message, Send, message_id_for
from notifications.selectors import send_progress_of
from notifications.services.sends import send_create
from tests.pipeline.factories import VARIABLES

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(240),
]
CLIENTS = 300
S = Message.State
CONTENT = {
    "en": {
        "viber": {"text": "Hi {{ client_name }}, {{ incident_title }} affects {{ service }}."},
        "whatsapp": {"template": "outage_notice", "placeholders": "{{ client_name }}\n{{ incident_title }}"},
    },
    "fr": {"viber": {"text": "Bonjour {{ client_name }}, {{ incident_title }}."}},
}


def _clients() -> dict[str, dict[str, int]]:
    """Clients with and without a number and opt-ins; returns the expected skip reasons per channel."""
    rows = [
        Client(
            external_ref=f"VW-{i:05d}",
            name=f"Client {i}",
            language="fr" if i % 4 == 0 else "en",
            phone="" if i % 10 == 3 else f"+3362{i:06d}1",
            email=f"c{i}@example.com",
            viber_consent=i % 5 != 1,
            whatsapp_consent=i % 2 == 0,
        )
        for i in range(CLIENTS)
    ]
    Client.objects.bulk_create(rows)
    no_phone = sum(1 for i in range(CLIENTS) if i % 10 == 3)
    return {
        "viber": {"no_phone": no_phone, "opted_out": sum(1 for i in range(CLIENTS) if i % 10 != 3 and i % 5 == 1)},
        "whatsapp": {"no_phone": no_phone, "opted_out": sum(1 for i in range(CLIENTS) if i % 10 != 3 and i % 2)},
    }


def _wait_until_done(send: Send, worker, timeout: float = 150) -> None:
    deadline = time.monotonic() + timeout
    while True:
        counts = dict(Message.objects.filter(send=send).values_list("state").annotate(n=Count("pk")))
        if counts and not any(counts.get(state) for state in (S.PENDING, S.SENDING, S.ACCEPTED)):
            return
        if time.monotonic() > deadline:
            pytest.fail(f"not done in {timeout}s: {counts}\n{worker.log_tail()}")
        time.sleep(0.5)


def test_viber_and_whatsapp_notice_delivered_exactly_once(celery_worker_factory, infobip_sandbox):
    worker = celery_worker_factory(INFOBIP_VIBER_SENDER="OutageInfo", INFOBIP_WHATSAPP_SENDER="447491163862")
    skips = _clients()
    send = send_create(
        label="viber+whatsapp",
        channels=["viber", "whatsapp"],
        audience={"builtin": ["all_clients"]},
        content=CONTENT,
        variables=VARIABLES,
        reference="vw",
    )
    _wait_until_done(send, worker)
    rows = Message.objects.filter(send=send)
    assert rows.count() == CLIENTS * 2
    eligible = rows.exclude(state=S.SKIPPED)
    assert set(eligible.values_list("state", flat=True)) == {S.DELIVERED}
    for channel, reasons in skips.items():
        found = dict(rows.filter(channel=channel, state=S.SKIPPED).values_list("skip_reason").annotate(n=Count("pk")))
        assert found == reasons, channel
    ids = infobip_sandbox.stats(ids=True)["ids"]
    assert set(ids) == {message_id_for(pk) for pk in eligible.values_list("pk", flat=True)}
    assert set(ids.values()) == {1}, "no message was accepted twice"
    stats = infobip_sandbox.stats()
    assert stats["by_channel"]["viber"] == eligible.filter(channel="viber").count()
    assert stats["by_channel"]["whatsapp"] == eligible.filter(channel="whatsapp").count()
    # What was sent is on the row: Viber's text in the client's language, WhatsApp's template and its values.
    french = eligible.filter(channel="viber", client__language="fr").first()
    assert french is not None and french.body.startswith("Bonjour Client")
    template = eligible.filter(channel="whatsapp").first()
    assert template is not None and template.subject == "outage_notice"
    assert template.body == f"{template.client.name}\nFibre cut"
    progress = send_progress_of(send)
    assert progress.by_channel["viber"][S.DELIVERED] == eligible.filter(channel="viber").count()
    send.refresh_from_db()
    assert send.state == Send.State.COMPLETED

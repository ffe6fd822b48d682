"""The primary provider fails half-way through a notice: the channel moves to its second provider and back.

A real worker (prefork, its beat), PostgreSQL, Redis and two sandbox processes over HTTP: the first plays Infobip
(the primary, SMS and email), the second Twilio (SMS) and Postmark through django-anymail (email). From message N
on, every request to the primary fails (a 500 that stored nothing, or a timeout after storing the batch: an
ambiguous outcome the engine must look up before anything is resent). The guarantee checked per message: it was
accepted exactly once, by exactly one of the two sandboxes, and its row names the provider that has it. The
breaker opens (the worker logs it and the secondary carries messages), and once the primary answers again the
channel comes back to it after the cool-down.
"""

from __future__ import annotations

import time

import pytest
from django.conf import settings

from notifications.models import Message, ProviderCall, message_id_for
from tests.failover_providers.conftest import second_env
from tests.fixtures.figures import measure_campaign
from tests.reliability.helpers import clients_create, send_start, wait_until_settled

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]
CLIENTS = 600
KIND_OF = {"infobip": "infobip", "twilio": "twilio", "postmark": "postmark"}
WORKER = {
    "DISPATCH_BATCH_SIZE": 20,
    "INFOBIP_TIMEOUT_READ": 2,
    "DISPATCH_SWEEP_SECONDS": 1,
    "DISPATCH_AMBIGUOUS_GRACE_SECONDS": 1,
    "PROVIDER_BREAKER_FAILURES": 2,
    "PROVIDER_BREAKER_COOLDOWN_SECONDS": 3,
    # Slow enough that the notice is still going out when the primary recovers, so the way back is seen too.
    "DISPATCH_SMS_RATE_PER_SECOND": 40,
    "DISPATCH_EMAIL_RATE_PER_SECOND": 40,
}


class BothSandboxes:
    """The two sandboxes' per-id counts as one, for the figures table (a duplicate across them counts twice)."""

    def __init__(self, *sandboxes) -> None:
        self.sandboxes = sandboxes

    def stats(self, *, ids: bool = False) -> dict:
        counts: dict[str, int] = {}
        for sandbox in self.sandboxes:
            for message_id, count in sandbox.stats(ids=True)["ids"].items():
                counts[message_id] = counts.get(message_id, 0) + count
        return {"ids": counts}


def _wait(predicate, timeout: float, what: str, worker) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout:.0f} s: {what}\n{worker.log_path.read_text()[-200000:]}")
        time.sleep(0.2)


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param({"fail_from_message": 150}, id="500s"),
        pytest.param({"timeout_from_message": 150, "hang_seconds": 3, "timeout_accepts": True}, id="timeouts"),
    ],
)
def test_primary_failing_half_way(celery_worker_factory, infobip_sandbox, second_settings, live_server, fault):
    second = second_settings
    secret = settings.INFOBIP_WEBHOOK_SECRETS[0]
    hook = live_server.url.replace("http://", f"http://postmark:{secret}@") + "/webhooks/postmark/events/"
    second.configure(postmark_webhook_url=hook)
    infobip_sandbox.configure(**fault)
    worker = celery_worker_factory(**WORKER, **second_env(second))
    eligible = clients_create(CLIENTS) + CLIENTS
    send = send_start(channels=["sms", "email"])

    # The breaker opens: the secondary starts carrying both channels.
    _wait(
        lambda: all(second.stats()["by_channel"][c] > 0 for c in ("sms", "email")), 60, "the secondary carries", worker
    )
    assert "breaker is open" in worker.log_path.read_text()
    infobip_sandbox.configure(fail_from_message=0, timeout_from_message=0)  # the primary recovers
    wait_until_settled(send, timeout=240, workers=[worker], sandbox=BothSandboxes(infobip_sandbox, second))
    measure_campaign(send, BothSandboxes(infobip_sandbox, second))

    primary_ids = infobip_sandbox.stats(ids=True)["ids"]
    second_stats = second.stats(ids=True)
    second_ids, kinds = second_stats["ids"], second_stats["kinds"]
    rows = list(Message.objects.filter(send=send).exclude(state="skipped").values_list("pk", "provider", "state"))
    assert len(rows) == eligible
    for pk, provider, state in rows:
        message_id = message_id_for(pk)
        at_primary, at_second = primary_ids.get(message_id, 0), second_ids.get(message_id, 0)
        assert at_primary + at_second == 1, (message_id, provider, state, at_primary, at_second)
        assert provider == ("infobip" if at_primary else kinds[message_id]), (message_id, provider)
        assert state in ("delivered", "undeliverable", "rejected"), (message_id, state)
    # Requests to the primary ended unknown (a 500 or a timeout): each batch was looked up there before it moved.
    assert ProviderCall.objects.filter(send=send, outcome=ProviderCall.Outcome.AMBIGUOUS).exists()
    by = {name: sum(1 for row in rows if row[1] == name) for name in ("infobip", "twilio", "postmark")}
    assert by["twilio"] and by["postmark"] and by["infobip"] >= 150, by
    # Back to the primary: it carried messages again after it recovered (a probe after the cool-down closed it).
    last_batch = Message.objects.filter(send=send).exclude(state="skipped").order_by("-accepted_at").first()
    assert last_batch is not None and last_batch.provider == "infobip", by

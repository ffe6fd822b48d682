"""End to end, over HTTP: a real worker sends a notice with a one-tap question through the Infobip sandbox, then
the sandbox (standing in for the customer's phone) posts replies to the portal's inbound webhook on the live server.
The answer lands on the right notice and in its tally; a STOP opts the client out and the confirmation goes out
through the worker and the sandbox, once."""

from __future__ import annotations

import json
import time

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Incident
from campaigns.selectors.replies import notice_replies
from campaigns.services import door
from notifications.models import Message, Reply
from tests.factories import BucketFactory, ClientFactory, UserFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]
DEADLINE = 90
OPTIONS = [{"key": "1", "label": "Still without service"}, {"key": "2", "label": "Service is back"}]


def wait_for(check, what: str, worker, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not seen in {timeout}s\n{worker.log_tail()}")
        time.sleep(0.5)


def notice(ops, bucket, title: str) -> Campaign:
    return Campaign.objects.create(
        incident=Incident.objects.create(title=title),
        title=title,
        channels=["sms"],
        audience={"buckets": [bucket.pk]},
        content={"en": {"sms": {"text": "Outage. Reply 1 if you are still without service, 2 if it works."}}},
        created_by=ops,
        wizard_step="send",
        reply_question="Still without service?",
        reply_options=OPTIONS,
    )


def customer_replies(sandbox, number: str, text: str) -> dict:
    body = json.dumps({"from": number, "text": text, "channel": "sms"})
    response = sandbox.session.post(f"{sandbox.url}/_sandbox/inbound", data=body, timeout=40)
    assert response.status_code == 200, response.text
    return response.json()


def test_replies_through_the_sandbox_reach_the_right_notice_and_its_tally(
    celery_worker_process, infobip_sandbox, client
):
    worker = celery_worker_process
    ops = UserFactory(username="olivia", groups=["Ops"])
    anna, bob = ClientFactory(phone="+33612000001"), ClientFactory(phone="+33612000002", language="fr")
    bucket = BucketFactory(name="Lyon")
    bucket.clients.add(anna, bob)
    older = notice(ops, bucket, "Earlier outage")
    door.campaign_confirm(campaign=older, actor=ops)

    def delivered(campaign: Campaign) -> bool:
        return Message.objects.filter(send__campaign_link__campaign=campaign, state="delivered").count() == 2

    wait_for(lambda: delivered(older), "the earlier notice delivered", worker)
    latest = notice(ops, bucket, "Fibre cut")
    door.campaign_confirm(campaign=latest, actor=ops)
    wait_for(lambda: delivered(latest), "the latest notice delivered", worker)

    answer = customer_replies(infobip_sandbox, anna.phone, "1")
    assert answer["status"] == 200 and answer["answer"]["matched"] == 1
    customer_replies(infobip_sandbox, bob.phone, " 1 ")
    reply = Reply.objects.get(client=anna)
    assert reply.message.send.campaign_link.campaign == latest  # the notice she last received, not the earlier one
    tally = notice_replies(latest, ops)
    assert tally["count"] == 2 and [t["count"] for t in tally["tally"]] == [2, 0]
    assert notice_replies(older, ops)["count"] == 0
    client.force_login(ops)
    page = client.get(reverse("campaigns:detail", args=[latest.pk])).content.decode()
    assert "2 replies" in page and "Still without service?" in page

    # STOP in French: Bob is opted out of SMS, and gets one confirmation in French through worker and sandbox.
    stop = customer_replies(infobip_sandbox, bob.phone, "arrêt")
    assert stop["answer"]["opted_out"] == 1 and stop["answer"]["confirmations"] == 1
    bob.refresh_from_db()
    assert bob.sms_consent is False

    def confirmation_delivered() -> Message | None:
        return (
            Message.objects.filter(client=bob, send__reference__startswith="reply-confirmation")
            .filter(state="delivered")
            .first()
        )

    confirmation = wait_for(confirmation_delivered, "the opt-out confirmation delivered", worker)
    assert confirmation.body.startswith("Vous ne recevrez plus nos avis")
    texts = [m for m in infobip_sandbox.received(limit=200) if "Vous ne recevrez plus" in json.dumps(m)]
    assert len(texts) == 1
    # The reply after the confirmation still belongs to the notice, never to the confirmation.
    customer_replies(infobip_sandbox, bob.phone, "2")
    assert notice_replies(latest, ops)["count"] == 4

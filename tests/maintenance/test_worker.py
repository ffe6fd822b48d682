"""Planned maintenance end to end: a real Celery worker (its embedded beat ticks the schedule every 2 s), PostgreSQL,
Redis and the sandbox over HTTP, with a window a minute or so away so the test takes about that long.

The sandbox's records are the witness, per client: every message it received (destination and message id) is
mapped back to the client and the notice, and each client must have received exactly what it should — the notice,
its reminder, "started" and "completed" for the first audience; the notice only for one who opted out after it; nothing
for a client who joined later — each once, and each at or after its time. Cancelling the maintenance sends nothing
more, past its whole window.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Incident
from campaigns.selectors.maintenance import maintenance_notices
from campaigns.selectors.state import campaign_main_send
from campaigns.services import door, lifecycle
from clients.models import Client
from notifications.models import Message, message_id_for
from tests.factories import ClientFactory, UserFactory
from tests.wizard.factories import CampaignFactory, IncidentFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.timeout(300),
]
CONTENT = {"en": {"sms": {"text": "{{ client_name }}: maintenance on {{ service }} from {{ started_at }}."}}}
#: How late a notice of the schedule may start after its time on a loaded two-core machine (beat ticks every 2 s).
LATE = 45


def wait_for(check, what: str, worker, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not seen in {timeout} s\n{worker.log_tail()}")
        time.sleep(0.5)
    return value


def maintenance(ops, *, start_in: float, length: float, offsets: list[int]) -> Campaign:
    now = timezone.now()
    incident = IncidentFactory(
        kind="maintenance",
        title="Core router upgrade",
        started_at=now + timedelta(seconds=start_in),
        expected_resolution_at=now + timedelta(seconds=start_in + length),
        status=Incident.Status.DRAFT,
    )
    draft = CampaignFactory(
        incident=incident,
        kind="maintenance",
        channels=["sms"],
        content=CONTENT,
        created_by=ops,
        reminder_offsets=offsets,
        wizard_step="send",
    )
    return door.campaign_confirm(campaign=draft, actor=ops)


def received_by_client(sandbox) -> dict[int, list[int]]:
    """From the sandbox's records: client id → the notices (campaign ids) it received, one entry per message."""
    entries = [(d["to"], d["messageId"]) for item in sandbox.received(1000) for d in item["message"]["destinations"]]
    rows = Message.objects.filter(send__campaign_link__isnull=False).values_list(
        "pk", "client_id", "client__phone", "send__campaign_link__campaign_id"
    )
    by_id = {message_id_for(pk): (client, phone, campaign) for pk, client, phone, campaign in rows}
    got: dict[int, list[int]] = defaultdict(list)
    for to, message_id in entries:
        client, phone, campaign = by_id[message_id]
        assert phone.lstrip("+") == to, "the sandbox got the message at the client's number"
        got[client].append(campaign)
    return got


def delivered(campaign: Campaign) -> int:
    send = campaign_main_send(campaign)
    return Message.objects.filter(send=send, state=Message.State.DELIVERED).count() if send else 0


def test_reminder_started_and_completed_reach_exactly_the_first_audience_at_their_times(
    celery_worker_process, infobip_sandbox
):
    worker = celery_worker_process
    ops = UserFactory(username="olivia", groups=["Ops"])
    stays = ClientFactory.create_batch(3)
    leaves = ClientFactory()
    # The window opens 75 s from now for 20 s; one reminder a minute before it (15 s from now).
    campaign = maintenance(ops, start_in=75, length=20, offsets=[1])
    notices = list(maintenance_notices(campaign))
    assert [n.maintenance_step for n in notices] == ["reminder", "started", "completed"]
    wait_for(lambda: delivered(campaign) == 4, "the maintenance notice delivered to 4", worker)
    latecomer = ClientFactory()  # joins after the notice: hears nothing of this maintenance
    Client.objects.filter(pk=leaves.pk).update(sms_consent=False)  # opts out after the notice

    for notice in notices:
        wait_for(lambda n=notice: delivered(n) == 3, f"{notice.title} delivered to 3", worker, timeout=180)
    for notice in notices:
        notice.refresh_from_db()
        started = campaign_main_send(notice).created_at
        assert notice.send_at <= started <= notice.send_at + timedelta(seconds=LATE), (notice.title, started)
    skipped = Message.objects.filter(send=campaign_main_send(notices[-1]), client=leaves, state="skipped")
    assert skipped.exists(), "the client who opted out is left out with a reason"

    got = received_by_client(infobip_sandbox)
    everything = sorted([campaign.pk, *(n.pk for n in notices)])
    for client in stays:
        assert sorted(got[client.pk]) == everything, client.pk
    assert got[leaves.pk] == [campaign.pk]
    assert latecomer.pk not in got
    assert set(infobip_sandbox.stats(ids=True)["ids"].values()) == {1}, "nothing accepted twice"
    incident = Incident.objects.get(pk=campaign.incident_id)
    assert incident.status == Incident.Status.RESOLVED and incident.public_state == "completed"


def test_cancelling_the_maintenance_sends_nothing_more(celery_worker_process, infobip_sandbox):
    worker = celery_worker_process
    ops = UserFactory(username="olivia", groups=["Ops"])
    ClientFactory.create_batch(3)
    campaign = maintenance(ops, start_in=20, length=5, offsets=[])
    wait_for(lambda: delivered(campaign) == 3, "the maintenance notice delivered", worker)
    lifecycle.campaign_cancel(campaign=campaign, actor=ops)
    assert set(maintenance_notices(campaign).values_list("state", flat=True)) == {Campaign.State.CANCELLED}
    end = Incident.objects.get(pk=campaign.incident_id).expected_resolution_at
    while timezone.now() < end + timedelta(seconds=8):  # past the whole window, and four beat ticks more
        time.sleep(0.5)
    assert set(received_by_client(infobip_sandbox)) == set(Client.objects.values_list("pk", flat=True))
    assert all(ids == [campaign.pk] for ids in received_by_client(infobip_sandbox).values())
    assert not Message.objects.exclude(send=campaign_main_send(campaign)).exists()

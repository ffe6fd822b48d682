"""Issue 15 items 2 and 3 in Chromium: the When step's validity, the Send step's superseded count, and the
earlier notice's page once its unsent messages were superseded.

``TIMING_SCREENSHOTS=1`` saves the When and Send steps under var/screenshots/ (not committed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignSend, IncidentKind
from notifications.models import Message, Send
from outage_portal.heartbeat import worker_heartbeat_write
from tests.conftest import browser_login
from tests.factories import ClientFactory, UserFactory, ensure_staff_groups
from tests.tracking.factories import SendFactory
from tests.wizard.factories import CampaignFactory, MessageTemplateFactory, TemplateVersionFactory, content_for

# With a worker: the Send click rings a doorbell, and the first doorbell of a session fixes Celery's broker for the
# rest of it, so it must be rung where the worker fixture points (else later worker tests lose theirs).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]
S = Message.State


def shot(page, name: str) -> None:
    if os.environ.get("TIMING_SCREENSHOTS"):
        folder = Path(settings.BASE_DIR) / "var" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"timing-{name}.png"), full_page=True)


def test_validity_and_superseded_in_the_outage_form(page, live_server, celery_worker_process):
    ensure_staff_groups()
    UserFactory(username="olivia", groups=["Ops"])
    worker_heartbeat_write(hostname="test-worker")
    template = MessageTemplateFactory(name="Service restored", kind="resolved")
    TemplateVersionFactory(template=template, language="en", sms_text="{{ service }} works again.")
    outage = CampaignFactory(
        state=Campaign.State.SENDING, kind=IncidentKind.OUTAGE, content=content_for("en"), channels=["sms"]
    )
    send = SendFactory(state=Send.State.PAUSED)  # paused, so the live worker leaves its pending rows waiting
    CampaignSend.objects.create(campaign=outage, send=send, role=CampaignSend.Role.MAIN)
    clients = ClientFactory.create_batch(5)
    for index, client in enumerate(clients):
        state = S.DELIVERED if index < 2 else S.PENDING
        Message.objects.create(send=send, client=client, channel="sms", destination=client.phone, state=state)

    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/{outage.pk}/")
    page.get_by_role("button", name=re.compile("Send resolved")).click()
    page.wait_for_url(re.compile(r"/wizard/send/$"))
    resolved = Campaign.objects.get(parent=outage)
    expect(page.locator("#superseded-note")).to_have_text(
        "3 recipients have not yet received the outage notice; they will receive only this one."
    )
    expect(page.locator("#validity-text")).to_have_text("unsent messages expire 12 h after sending starts")

    page.goto(f"{live_server.url}/campaigns/{resolved.pk}/wizard/when/")
    field = page.get_by_label("Valid for (hours)")
    expect(page.get_by_text("Empty: 12 h, the default for this kind of notice.")).to_be_visible()
    field.fill("500")
    page.get_by_role("button", name=re.compile("Save")).first.click()
    expect(page.locator(".invalid-feedback")).to_contain_text("less than or equal to 168")
    field = page.get_by_label("Valid for (hours)")
    field.fill("2")
    shot(page, "when")
    page.get_by_role("button", name=re.compile("Save")).first.click()
    page.goto(f"{live_server.url}/campaigns/{resolved.pk}/wizard/send/")
    expect(page.locator("#validity-text")).to_have_text("unsent messages expire 2 h after sending starts")
    shot(page, "send")
    page.get_by_label(re.compile(r"Yes, send to 5 people")).check()
    page.get_by_role("button", name="Send to 5 people").click()
    page.wait_for_url(re.compile(rf"/campaigns/{resolved.pk}/$"))

    assert set(Message.objects.filter(send=send, state=S.SUPERSEDED).values_list("client_id", flat=True)) == {
        c.pk for c in clients[2:]
    }
    page.goto(f"{live_server.url}/campaigns/{outage.pk}/")
    expect(page.locator('#state-counts tr[data-state="superseded"] td').last).to_have_text("3")

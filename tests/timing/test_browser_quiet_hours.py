"""Issue 15 item 5 in Chromium: a maintenance notice's page says how many messages wait for quiet hours and until
when, and keeps saying it while it polls. No worker: nothing is sent (the page only reads).

``TIMING_SCREENSHOTS=1`` saves the page under var/screenshots/ (not committed).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignSend, IncidentKind
from notifications.models import Message, Send
from tests.conftest import browser_login
from tests.factories import ClientFactory, UserFactory, ensure_staff_groups
from tests.timing.test_browser_timing import shot
from tests.tracking.factories import SendFactory
from tests.wizard.factories import CampaignFactory, content_for

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
S = Message.State


def test_the_notice_page_counts_messages_waiting_for_quiet_hours(page, live_server, settings):
    settings.TIME_ZONE = "UTC"
    ensure_staff_groups()
    UserFactory(username="olivia", groups=["Ops"])
    notice = CampaignFactory(
        state=Campaign.State.SENDING, kind=IncidentKind.MAINTENANCE, content=content_for("en"), channels=["sms"]
    )
    send = SendFactory(state=Send.State.SENDING, notice_kind="maintenance", materialized_at=timezone.now())
    CampaignSend.objects.create(campaign=notice, send=send, role=CampaignSend.Role.MAIN)
    morning = (timezone.now() + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    for index, client in enumerate(ClientFactory.create_batch(5)):
        held = index >= 2
        Message.objects.create(
            send=send,
            client=client,
            channel="sms",
            destination=client.phone,
            state=S.PENDING if held else S.DELIVERED,
            next_attempt_at=morning if held else None,
        )
    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/{notice.pk}/")
    wait = page.locator("#quiet-wait")
    expect(wait).to_contain_text("3 messages wait for quiet hours to end (the last until")
    expect(wait).to_contain_text(f"(the last until {morning.day} {morning:%b %Y %H:%M} UTC)")
    page.wait_for_timeout(2000)  # a poll or two later it is still there
    expect(page.locator("#quiet-wait")).to_contain_text("3 messages wait for quiet hours to end")
    shot(page, "quiet-hours")

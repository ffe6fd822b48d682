"""Pace in Chromium: the When step's field (a bad value refused beside it), the Send step's estimated finish, and
the notice page's expected against actual progress while a paced send goes out.

``TIMING_SCREENSHOTS=1`` saves the three pages under var/screenshots/ (not committed).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignSend
from notifications.models import Message, Send
from tests.conftest import browser_login
from tests.factories import ClientFactory, UserFactory, ensure_staff_groups
from tests.timing.test_browser_timing import shot
from tests.tracking.factories import SendFactory
from tests.wizard.factories import CampaignFactory, content_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(120),
]
S = Message.State


def test_pace_in_the_outage_form_and_on_the_notice_page(page, live_server):
    ensure_staff_groups()
    UserFactory(username="olivia", groups=["Ops"])
    clients = ClientFactory.create_batch(4)
    draft = CampaignFactory(content=content_for("en"), channels=["sms"], wizard_step="send")
    browser_login(page, live_server, "olivia")

    page.goto(f"{live_server.url}/campaigns/{draft.pk}/wizard/when/")
    field = page.get_by_label("At most (messages per minute)")
    field.fill("1")
    page.get_by_role("button", name=re.compile("Save")).first.click()
    expect(page.locator("#id_pace_per_minute_error")).to_contain_text("greater than or equal to 2")
    page.get_by_label("At most (messages per minute)").fill("2")
    shot(page, "pace-when")
    page.get_by_role("button", name=re.compile("Save")).first.click()
    page.goto(f"{live_server.url}/campaigns/{draft.pk}/wizard/send/")
    expect(page.locator("#pace-estimate")).to_contain_text(
        "Paced at most 2 messages per minute per channel: about 2 min for 4 people, finishing about"
    )
    expect(page.locator("#pace-text")).to_have_text("at most 2 per minute per channel")
    shot(page, "pace-send")

    notice = CampaignFactory(state=Campaign.State.SENDING, content=content_for("en"), channels=["sms"])
    send = SendFactory(state=Send.State.PAUSED, pace_per_minute=2, started_at=timezone.now() - timedelta(seconds=61))
    CampaignSend.objects.create(campaign=notice, send=send, role=CampaignSend.Role.MAIN)
    for index, client in enumerate(clients):
        state = S.DELIVERED if index == 0 else S.PENDING
        Message.objects.create(send=send, client=client, channel="sms", destination=client.phone, state=state)
    page.goto(f"{live_server.url}/campaigns/{notice.pk}/")
    expect(page.locator('#pace-progress [data-channel="sms"]')).to_have_text(
        "SMS 1 out, 2 expected by now at the pace (of 4)"
    )
    shot(page, "pace-notice")

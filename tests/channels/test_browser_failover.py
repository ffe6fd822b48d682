"""The outage form builds a Viber → SMS failover chain in Chromium: the Audience step shows where clients start, who
may fall back and the SMS it may cost; the notice is sent and its send carries the chain and its wait."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from notifications.models import Message, Send
from notifications.services.materialize import send_materialize
from tests.conftest import browser_login
from tests.factories import ClientFactory, UserFactory
from tests.wizard.factories import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


def _shot(page, name: str) -> None:
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOT_DIR}/{name}.png", full_page=True)


def test_a_notice_on_viber_with_sms_failover_from_the_outage_form(page, live_server, settings):
    settings.INFOBIP_VIBER_SENDER = "OutageInfo"
    page.set_viewport_size({"width": 1366, "height": 900})
    user = UserFactory(username="olivia", groups=["Ops"])
    ann = ClientFactory(name="Ann Lee", phone="+33612345678", viber_consent=True)
    bob = ClientFactory(name="Bob Ray", phone="+33612345679", viber_consent=False)
    ClientFactory(name="Cy No", phone="", email="cy@example.com", viber_consent=True)
    campaign = CampaignFactory(channels=["sms"], wizard_step="audience", created_by=user, state=Campaign.State.DRAFT)
    browser_login(page, live_server, "olivia")
    page.goto(live_server.url + reverse("campaigns:wizard", args=[campaign.pk, "audience"]))
    page.get_by_text("Failover: try another channel").click()
    page.get_by_label("Try first").select_option("viber")
    page.get_by_label("If not delivered, then").select_option("sms")
    page.get_by_label("Not delivered after (minutes)").fill("3")
    chain = page.locator("#chain-reach")
    chain.wait_for()
    page.wait_for_function("document.querySelector('#chain-reach [data-chain-start=viber]') !== null")
    text = chain.inner_text()
    assert "Failover: Viber → SMS" in text
    assert "1 start on Viber" in text and "1 start on SMS, up to 1 more by failover" in text
    assert "reachable on none of them" in text and "at most 2 SMS parts" in text
    _shot(page, "outage-form-failover-chain")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/message/")
    page.get_by_label("Viber text").first.fill("Hi {{ client_name }}, {{ service }} is down.")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/when/")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/preview/")
    page.get_by_role("button", name="Looks right — continue").click()
    page.wait_for_url("**/wizard/test/")
    page.get_by_role("button", name=re.compile("Skip the test")).first.click()
    page.wait_for_url("**/wizard/send/")
    assert page.locator("#failover-text").inner_text() == "failover Viber → SMS after 3 min"
    page.get_by_label(re.compile(r"Yes, send to 2 people \(2 messages\)")).check()
    page.get_by_role("button", name="Send to 2 people").click()
    page.wait_for_url(re.compile(rf"/campaigns/{campaign.pk}/$"))
    send = Send.objects.get(is_test=False)
    assert send.failover == ["viber", "sms"] and set(send.channels) == {"sms", "viber"}
    assert send.failover_wait_seconds == 180
    send_materialize(send_id=send.pk)  # what the worker does first (no worker in this test)
    page.goto(live_server.url + reverse("campaigns:detail", args=[campaign.pk]))
    page.locator("#failover-progress").wait_for()
    page.locator("#state-counts tr[data-state=pending]").wait_for()
    _shot(page, "notice-page-failover")
    rows = {(m.client_id, m.channel): m.state for m in Message.objects.filter(send=send)}
    assert rows[(ann.pk, "viber")] != Message.State.SKIPPED and (ann.pk, "sms") not in rows
    assert rows[(bob.pk, "viber")] == Message.State.SKIPPED and rows[(bob.pk, "sms")] != Message.State.SKIPPED

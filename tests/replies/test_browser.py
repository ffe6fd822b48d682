"""In Chromium at 1366 px, with a real worker and the Infobip sandbox: the notice page's reply count, tally and list
update by themselves as customers answer through the sandbox (no reload), numbers masked for Ops."""

from __future__ import annotations

import json
import os

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign, Incident
from campaigns.services.door import campaign_confirm
from notifications.models import Message
from tests.conftest import browser_login
from tests.factories import ClientFactory, UserFactory, ensure_staff_groups
from tests.replies.test_worker_reply import OPTIONS, customer_replies, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(300),
]


def test_the_tally_updates_live_as_replies_arrive(chromium, live_server, celery_worker_process, infobip_sandbox):
    ensure_staff_groups()
    ops = UserFactory(username="olivia", groups=["Ops"])
    customers = [ClientFactory(phone=f"+3361200010{n}") for n in range(3)]
    campaign = Campaign.objects.create(
        incident=Incident.objects.create(title="Fibre cut, Lyon north"),
        title="Fibre cut, Lyon north",
        channels=["sms"],
        audience={"clients": [c.pk for c in customers]},
        content={"en": {"sms": {"text": "Fibre cut. Reply 1 if you are still without service, 2 if it works."}}},
        created_by=ops,
        wizard_step="send",
        reply_question="Are you still without service?",
        reply_options=OPTIONS,
    )
    campaign_confirm(campaign=campaign, actor=ops)
    wait_for(
        lambda: Message.objects.filter(send__campaign_link__campaign=campaign, state="delivered").count() == 3,
        "the notice delivered",
        celery_worker_process,
    )
    context = chromium.new_context(viewport={"width": 1366, "height": 1000})
    context.set_default_timeout(15_000)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    try:
        browser_login(page, live_server, "olivia")
        page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
        expect(page.locator("#replies-count")).to_have_text("0 replies")
        expect(page.locator("#replies-question")).to_contain_text("Are you still without service?")
        for customer, text in zip(customers, ["1", "1", "2"], strict=True):
            customer_replies(infobip_sandbox, customer.phone, text)
        expect(page.locator("#replies-count")).to_have_text("3 replies", timeout=30_000)
        expect(page.locator('#replies-tally tr[data-key="1"] .tally-count')).to_have_text("2")
        expect(page.locator('#replies-tally tr[data-key="2"] .tally-count')).to_have_text("1")
        expect(page.locator('#replies-tally tr[data-key="1"] .progress')).to_have_attribute("aria-valuenow", "67")
        items = page.locator("#replies-list li")
        expect(items).to_have_count(3)
        expect(items.first).to_contain_text("+33••••••02")  # newest first, masked for Ops
        assert "+33612000102" not in page.content()
        customer_replies(infobip_sandbox, customers[0].phone, json.dumps("<b>still down</b>")[1:-1])
        expect(page.locator("#replies-count")).to_have_text("4 replies", timeout=30_000)
        expect(items.first).to_contain_text("<b>still down</b>")  # shown as text, never as markup
        expect(page.locator('#replies-tally [id="replies-other"]')).to_have_text("1")
        if os.environ.get("REPLIES_SCREENSHOT"):
            page.locator("#replies").scroll_into_view_if_needed()
            page.screenshot(path=os.environ["REPLIES_SCREENSHOT"], full_page=False)
        assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    finally:
        context.close()

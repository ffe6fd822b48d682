"""The preference page in Chromium at a phone's width with Viber and WhatsApp offered: labelled, no overflow, and a
tap on WhatsApp records the client's opt-in."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clients import links
from clients.models import ConsentEvent
from tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE_WIDTH = 390
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


def test_opting_in_to_whatsapp_on_a_phone(phone_page, settings, live_server):
    settings.PORTAL_BASE_URL = live_server.url
    settings.INFOBIP_VIBER_SENDER = "OutageInfo"
    settings.INFOBIP_WHATSAPP_SENDER = "447491163862"
    customer = ClientFactory(phone="+33612345678", email="ann@example.com")
    phone_page.goto(links.preferences_url(customer.pk))
    for label in ("Email", "SMS", "Viber", "WhatsApp"):
        assert phone_page.get_by_label(label, exact=False).first.is_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    assert not phone_page.locator("#id_whatsapp").is_checked()
    phone_page.locator("#id_whatsapp").check()
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        phone_page.screenshot(path=f"{SCREENSHOT_DIR}/preferences-viber-whatsapp.png", full_page=True)
    phone_page.locator("form button[type=submit]").first.click()
    phone_page.wait_for_url("**saved=1")
    customer.refresh_from_db()
    assert customer.whatsapp_consent is True and customer.viber_consent is False
    assert ConsentEvent.objects.get().channel == "whatsapp"

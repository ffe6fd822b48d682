"""The outage form's message and preview steps in Chromium with Viber and WhatsApp configured: their fields are
labelled, a WhatsApp template name Meta would refuse is an error beside its field, and the preview shows each
channel under its own name with the rendered template values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from tests.conftest import browser_login
from tests.factories import ClientFactory, UserFactory
from tests.wizard.factories import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


def _shot(page, name: str) -> None:
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOT_DIR}/{name}.png", full_page=True)


def test_message_and_preview_steps_on_viber_and_whatsapp(page, live_server, settings):
    settings.INFOBIP_VIBER_SENDER = "OutageInfo"
    settings.INFOBIP_WHATSAPP_SENDER = "447491163862"
    user = UserFactory(username="olivia", groups=["Ops"])
    ClientFactory(name="Ann Lee", phone="+33612345678", viber_consent=True, whatsapp_consent=True)
    campaign = CampaignFactory(channels=["viber", "whatsapp"], content={}, wizard_step="message", created_by=user)
    browser_login(page, live_server, "olivia")
    page.goto(live_server.url + reverse("campaigns:wizard", args=[campaign.pk, "message"]))
    page.get_by_label("Viber text").first.fill("Hi {{ client_name }}, {{ service }} is down.")
    page.get_by_label("WhatsApp template name (approved at Meta)").first.fill("Outage Notice")
    page.get_by_label("Template placeholders", exact=False).first.fill("{{ client_name }}\n{{ service }}")
    page.get_by_role("button", name="Save and continue").click()
    error = page.locator(".invalid-feedback, .errorlist").filter(has_text="lower-case")
    error.first.wait_for()
    _shot(page, "outage-form-whatsapp-error")
    page.get_by_label("WhatsApp template name (approved at Meta)").first.fill("outage_notice")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/when/**")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/preview/**")
    body = page.locator("body").inner_text()
    assert "English · Viber" in body and "English · WhatsApp" in body
    assert "Hi Ann Lee, SMS service is down." in body and "Plain-text email" not in body
    page.get_by_role("tab", name="English · WhatsApp").click()
    whatsapp = page.locator(".sample[data-channel=whatsapp]")
    assert whatsapp.locator(".template-name").inner_text() == "outage_notice"
    assert whatsapp.locator(".chat-text").inner_text() == "Ann Lee\nSMS service"
    _shot(page, "outage-form-preview-viber-whatsapp")

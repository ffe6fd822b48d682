"""The outage form's message and preview steps in Chromium (1366 px) with browser and app notifications configured:
their fields are labelled, an empty title is an error beside its field, and the preview shows each notification's
title and text for a client who has a browser and a device."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.urls import reverse

from clients.push import device_token_register
from tests.conftest import browser_login
from tests.factories import ClientFactory, UserFactory
from tests.wizard.factories import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")


def _shot(page, name: str) -> None:
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOT_DIR}/{name}.png", full_page=True)


def test_message_and_preview_steps_on_push(chromium, live_server, settings, push):
    user = UserFactory(username="olivia", groups=["Ops"])
    ann = ClientFactory(name="Ann Lee")
    push.browser("ann-laptop").subscribe(ann)
    device_token_register(client=ann, token="ann-phone:APA91b")
    campaign = CampaignFactory(channels=["webpush", "apppush"], content={}, wizard_step="message", created_by=user)
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    browser_login(page, live_server, "olivia")
    page.goto(live_server.url + reverse("campaigns:wizard", args=[campaign.pk, "message"]))
    page.get_by_label("Browser notification text").first.fill("{{ service }} is down in your area.")
    page.get_by_label("App notification title").first.fill("Outage: {{ service }}")
    page.get_by_label("App notification text").first.fill("We are on it, {{ client_name }}.")
    page.get_by_role("button", name="Save and continue").click()
    page.locator(".invalid-feedback, .errorlist").filter(has_text="title is empty").first.wait_for()
    _shot(page, "outage-form-push-error")
    page.get_by_label("Browser notification title").first.fill("Outage: {{ service }}")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/when/**")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/preview/**")
    web = page.locator(".sample[data-channel=webpush]").first
    assert web.locator(".push-title").inner_text() == "Outage: SMS service"
    assert web.locator(".push-text").inner_text() == "SMS service is down in your area."
    _shot(page, "outage-form-preview-push")
    page.get_by_role("tab", name="English · App notifications").click()
    app = page.locator(".sample[data-channel=apppush]").first
    assert app.locator(".push-text").inner_text() == "We are on it, Ann Lee."
    context.close()

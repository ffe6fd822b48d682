"""Issue 16 in Chromium: staff write the public text in the outage form beside the message, the SMS counter counts
{{ incident_link }} at its real length as they type, the preview shows the public update as readers will see it,
and once sent the incident's public page carries that text.

``PUBLIC_SCREENSHOTS=1`` saves the Message and Preview steps under var/screenshots/.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from campaigns.models import Campaign, PublicUpdate
from notifications.content import incident_link_example, sms_count_as_typed
from outage_portal.heartbeat import worker_heartbeat_write
from tests.conftest import browser_login
from tests.factories import BucketFactory, ClientFactory, UserFactory, ensure_staff_groups
from tests.wizard.factories import MessageTemplateFactory, TemplateVersionFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]
SCREENSHOTS = Path(os.environ.get("PUBLIC_SCREENSHOTS_DIR", settings.BASE_DIR / "var" / "screenshots"))
PUBLIC_TEXT = (
    "A fibre cut near Lyon Part-Dieu stops SMS delivery in the Rhône region since 09:10.\n"
    "Messages are queued and will be delivered once the link is repaired. Next update at 11:00."
)


def shot(page, name: str) -> None:
    if os.environ.get("PUBLIC_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"public-form-{name}.png"), full_page=True)


@pytest.fixture
def portal(transactional_db):
    ensure_staff_groups()
    bucket = BucketFactory(name="Lyon region")
    for language, name in (("en", "Paul Smith"), ("fr", "Zoé Marchetti")):
        bucket.clients.add(ClientFactory(language=language, name=name))
    template = MessageTemplateFactory(name="Outage: service down", kind="outage")
    for language in ("en", "fr"):
        TemplateVersionFactory(
            template=template,
            language=language,
            sms_text="{{ client_name }}: {{ service }} disrupted. {{ incident_link }}",
            email_subject="{{ service }} disrupted",
            email_text="{{ service }} disrupted. {{ incident_link }}",
            email_html="",
            is_default=True,
        )
    UserFactory(username="olivia", groups=["Ops"])
    worker_heartbeat_write(hostname="test-worker")
    return bucket


def test_staff_write_the_public_text_preview_it_and_it_is_published(page, live_server, portal):
    browser_login(page, live_server, "olivia")
    page.get_by_role("link", name="New outage notice").click()
    page.get_by_label("What happened?").fill("Fibre cut in Lyon")
    page.get_by_label("SMS service", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/audience/")
    page.get_by_label("Lyon region").check()
    page.get_by_role("button", name="Save and continue").click()

    page.wait_for_url("**/wizard/message/")
    publish = page.get_by_label("Publish on the incident's public page")
    expect(publish).to_be_checked()  # on by default: the common case needs no click
    # The counter counts the link at its real length as the text is typed.
    link_length = len(incident_link_example())
    sms = page.locator("#id_en_sms_text")
    sms.fill("x" * 130 + " {{ incident_link }}")
    counter = page.locator("#lang-en [data-sms-counter]")
    expect(counter.locator(".js-chars")).to_have_text(str(131 + link_length))
    expect(counter.locator(".js-parts")).to_have_text("2" if 131 + link_length > 160 else "1")
    typed = "{{ client_name }}: SMS disrupted in Lyon. Details: {{ incident_link }}"
    sms.fill(typed)  # the browser's count is the server's (braces are GSM-7 extension characters: 2 each)
    expect(counter.locator(".js-chars")).to_have_text(str(sms_count_as_typed(typed).characters))
    page.locator("#id_en_public_text").fill(PUBLIC_TEXT)
    shot(page, "message")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/when/")
    page.get_by_role("button", name="Save and continue").click()

    page.wait_for_url("**/wizard/preview/")
    card = page.locator("#public-update")
    expect(card.locator("#public-update-state")).to_have_text("Investigating")
    expect(card.locator('[data-language="en"]')).to_contain_text("Messages are queued")
    expect(card.locator('[data-language="fr"]')).to_contain_text("readers see the English one")
    expect(card).not_to_contain_text("Zoé")
    expect(card).not_to_contain_text("Paul Smith")
    shot(page, "preview")
    preview_url = card.locator("#public-page-preview").get_attribute("href")
    page.get_by_role("button", name="Looks right — continue").click()
    page.wait_for_url("**/wizard/test/")
    page.get_by_role("button", name=re.compile("Skip the test")).first.click()
    page.wait_for_url("**/wizard/send/")
    expect(page.locator("#public-update")).to_contain_text("Messages are queued")
    page.get_by_label("Yes, send to 2 people (4 messages)").check()
    page.get_by_role("button", name="Send to 2 people").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/$"))

    campaign = Campaign.objects.get()
    assert PublicUpdate.objects.get(campaign=campaign).texts == {"en": PUBLIC_TEXT}
    public_id = campaign.incident.public_id
    page.goto(f"{live_server.url}/status/incidents/{public_id}/?lang=en")
    expect(page.locator("body")).to_contain_text("Messages are queued and will be delivered")
    expect(page.locator("body")).not_to_contain_text("Zoé")
    page.goto(f"{live_server.url}{preview_url}")  # the staff preview still opens once published
    expect(page.locator("body")).to_contain_text("Fibre cut in Lyon")

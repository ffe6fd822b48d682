"""In Chromium at 390 px with JavaScript off: the short link from an SMS exactly as the sandbox received it leads to
the incident's public page; the click is counted for the notice's SMS; keyboard focus is visible.

A real Celery worker renders and sends the notice to the Infobip sandbox over HTTP; the link is read from what the
sandbox received, opened through the live server, and followed to the page.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from django.conf import settings

from campaigns.selectors.public import campaign_clicks
from tests.conftest import CHROMIUM_ARGS  # noqa: F401 - the same Chromium the other browser tests drive
from tests.factories import ClientFactory, UserFactory
from tests.public.helpers import incident_of, notice

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]
SCREENSHOTS = Path(os.environ.get("PUBLIC_SCREENSHOTS_DIR", settings.BASE_DIR / "var" / "screenshots"))
CONTENT = {
    "en": {"sms": {"text": "Fibre cut in Lyon north: calls and SMS may fail. Details: {{ incident_link }}"}},
    "fr": {"sms": {"text": "Coupure fibre à Lyon nord : appels et SMS perturbés. Détails : {{ incident_link }}"}},
}


def sms_received(sandbox, deadline: float = 90.0) -> list[str]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        texts = [
            json.dumps(item["message"], ensure_ascii=False) for item in sandbox.received() if item["channel"] == "sms"
        ]
        if len(texts) >= 2:
            return texts
        time.sleep(0.5)
    pytest.fail("the sandbox received no SMS")


def test_the_sms_link_opens_the_public_page_at_390px_without_javascript(
    chromium, celery_worker_process, infobip_sandbox, live_server
):
    ops = UserFactory(username="olivia", groups=["Ops"])
    people = [ClientFactory(name="Zoé Marchetti", language="fr"), ClientFactory(name="Paul Smith", language="en")]
    campaign = notice(
        actor=ops,
        clients=people,
        title="Fibre cut in Lyon north",
        content=CONTENT,
        channels=("sms",),
        public_text={
            "en": "Calls and SMS may fail in Lyon north since 14:05. Engineers are on site; next update at 16:00.",
            "fr": "Appels et SMS perturbés à Lyon nord depuis 14 h 05. Les techniciens sont sur place.",
        },
        regions=["Lyon north"],
    )
    texts = sms_received(infobip_sandbox)
    french = next(text for text in texts if "Coupure fibre" in text)
    link = re.search(r"(https?://[^\s\"\\]+/i/[A-Za-z0-9]+)", french).group(1)
    assert link.startswith(live_server.url + "/i/") and len(link.rsplit("/", 1)[1]) == 7
    for text in texts:
        assert "Zoé" not in text or "Coupure" in text  # nobody's name leaks into the link

    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.goto(link)
        incident = incident_of(campaign)
        assert page.url.startswith(f"{live_server.url}/status/incidents/{incident.public_id}/?lang=fr")
        assert page.locator("h1").inner_text() == "Fibre cut in Lyon north"
        assert page.locator("html").get_attribute("lang") == "fr"
        assert "Enquête en cours" in page.locator(".state-line").inner_text()
        assert "Les techniciens sont sur place." in page.locator(".updates").inner_text()
        assert "Lyon north" in page.locator(".facts").inner_text()
        box = page.locator("main").bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "public-incident-390.png"), full_page=True)
        page.goto(f"{live_server.url}/status/?lang=fr")
        assert "Fibre cut in Lyon north" in page.locator("main").inner_text()
        page.screenshot(path=str(SCREENSHOTS / "public-status-390.png"), full_page=True)
    finally:
        context.close()
    assert campaign_clicks(campaign) == {"sms": 1}

    keyboard = chromium.new_context(viewport={"width": 390, "height": 844})
    try:
        page = keyboard.new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
        )
        page.goto(f"{live_server.url}/status/incidents/{incident.public_id}/?lang=fr")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        page.keyboard.press("Tab")
        style = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [s.outlineStyle, s.outlineWidth, s.boxShadow]; })()"
        )
        assert style[0] == "solid" and style[1] == "3px" and "6px" in style[2]
        page.screenshot(path=str(SCREENSHOTS / "public-incident-390-focus.png"))
        page.goto(f"{live_server.url}/?lang=en")
        assert page.locator("h1").inner_text() == "Service status" and not refused, refused
    finally:
        keyboard.close()
    assert campaign_clicks(campaign) == {"sms": 1}  # reading the page again is not a click

"""Every page carries a Content-Security-Policy without 'unsafe-inline' for scripts, and works under it.

Chromium loads the main pages (dashboard, every outage form step, the notice page, templates, the admin, the
customer pages and sign-up) and reports any violation: the ``securitypolicyviolation`` events of every frame and
the console lines Chromium writes when it refuses something. Where a page depends on its scripts (the message
step's language tabs, the audience counts from htmx, the notice page's chart), the test checks they ran.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from campaigns.models import Campaign, CampaignSend
from clients import links
from clients.models import SignupRequest
from tests.conftest import browser_login
from tests.factories import BucketFactory, ClientFactory, SegmentFactory, UserFactory
from tests.tracking.factories import add_messages, campaign_with_send
from tests.wizard.factories import CampaignFactory, MessageTemplateFactory, TemplateVersionFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
});
"""


@dataclass
class Watch:
    console: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def violations(self, page) -> list[str]:  # noqa: ANN001
        found = [line for line in self.console if "Content Security Policy" in line or "Refused to" in line]
        for frame in page.frames:
            try:
                found += frame.evaluate("window.__csp || []")
            except Exception:  # a frame that went away while reading
                continue
        return found


def _watch(page) -> Watch:  # noqa: ANN001
    watch = Watch()
    page.add_init_script(WATCH)
    page.on("console", lambda message: watch.console.append(message.text))

    def remember(response) -> None:  # noqa: ANN001
        if response.request.resource_type == "document":
            watch.headers[response.url] = response.headers.get("content-security-policy", "")

    page.on("response", remember)
    return watch


@pytest.fixture
def watched(page) -> Iterator[tuple[object, Watch]]:
    yield page, _watch(page)


@pytest.fixture
def watched_phone(phone_page) -> Iterator[tuple[object, Watch]]:
    """The customer pages at a phone's width (390 px), as customers open them from a message."""
    yield phone_page, _watch(phone_page)


def _shot(page, name: str) -> None:  # noqa: ANN001
    folder = os.environ.get("CSP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _visit(page, watch: Watch, url: str) -> None:  # noqa: ANN001
    response = page.goto(url)
    assert response is not None and response.status < 400, f"{url}: {response.status if response else 'no answer'}"
    page.wait_for_load_state("networkidle")
    policy = response.headers.get("content-security-policy", "")
    script_src = re.search(r"script-src ([^;]*)", policy)
    assert script_src and "'self'" in script_src.group(1), f"{url}: no script-src in {policy!r}"
    assert "unsafe-inline" not in script_src.group(1) and "unsafe-eval" not in policy, f"{url}: {policy}"
    assert "http:" not in policy and "https:" not in policy and "*" not in policy, f"{url}: {policy}"
    assert watch.violations(page) == [], url


def test_staff_pages_and_the_outage_form_run_under_the_policy(watched, live_server, settings) -> None:
    page, watch = watched
    settings.PORTAL_BASE_URL = live_server.url
    bucket = BucketFactory(name="North")
    for language in ("en", "fr"):
        bucket.clients.add(ClientFactory(language=language))
    ops = UserFactory(username="olga", groups=["Ops"])
    template = MessageTemplateFactory()
    TemplateVersionFactory(template=template)
    draft = CampaignFactory(created_by=ops, wizard_step="send", audience={"buckets": [bucket.pk]})
    sent, send = campaign_with_send(created_by=ops)
    add_messages(send, {"delivered": 3, "failed": 1, "pending": 2})
    browser_login(page, live_server, "olga")
    base = live_server.url
    for path in (
        "/",
        "/campaigns/",
        "/campaigns/new/",
        "/campaigns/templates/",
        f"/campaigns/templates/{template.pk}/",
    ):
        _visit(page, watch, base + path)
    for step in ("incident", "audience", "message", "when", "preview", "test", "send"):
        _visit(page, watch, f"{base}/campaigns/{draft.pk}/wizard/{step}/")
        if step == "audience":  # htmx fetched the live counts
            page.locator(".channel-count [data-eligible]").first.wait_for()
        if step == "message":  # wizard.js switches language tabs
            page.locator('[data-lang-tab="fr"]').click()
            assert page.locator('.lang-pane[data-lang="fr"]').is_visible()
        if step == "preview":  # the email preview frame rendered the HTML
            assert page.frame_locator("iframe").first.locator("p").count() >= 1
            assert watch.violations(page) == []
    for path in (f"/campaigns/{sent.pk}/", f"/campaigns/{sent.pk}/recipients/", f"/campaigns/{sent.pk}/failures/"):
        _visit(page, watch, base + path)
    page.goto(f"{base}/campaigns/{sent.pk}/")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length > 0")  # progress.js drew
    # The question before Cancel lives in static/js/confirm.js now: it is asked, and dismissing it cancels nothing.
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.wait_for_timeout(500)
    assert asked and "Cancel this notice?" in asked[0]
    assert Campaign.objects.get(pk=sent.pk).state == Campaign.State.SENDING
    assert watch.violations(page) == []
    assert CampaignSend.objects.filter(campaign=sent).exists()


def test_admin_pages_run_under_the_policy(watched, live_server) -> None:
    page, watch = watched
    UserFactory(username="root", is_staff=True, is_superuser=True)
    customer = ClientFactory()
    segment = SegmentFactory()
    base = live_server.url
    _visit(page, watch, base + "/admin/login/")
    page.fill("input[name=username]", "root")
    page.fill("input[name=password]", "pass-Word-123")
    page.click("input[type=submit]")
    page.wait_for_url(base + "/admin/")
    for path in (
        "/admin/",
        "/admin/clients/client/",
        f"/admin/clients/client/{customer.pk}/change/",
        "/admin/clients/client/add/",
        "/admin/clients/client/import/",
        "/admin/clients/bucket/add/",
        f"/admin/clients/segment/{segment.pk}/change/",
        "/admin/clients/signuprequest/",
        "/admin/campaigns/alertroute/add/",
        "/admin/auth/user/",
    ):
        _visit(page, watch, base + path)
    page.goto(base + "/admin/clients/client/")
    page.locator("#action-toggle").check()  # the admin's own actions.js runs
    assert page.locator("input.action-select:checked").count() >= 1
    assert watch.violations(page) == []


def test_customer_pages_and_sign_up_run_under_the_policy(watched_phone, live_server, settings, monkeypatch) -> None:
    """At 390 px: unsubscribe and preferences from a message's links, then a whole sign-up by SMS code."""
    from notifications import signup_delivery

    sent: list[dict[str, str]] = []
    monkeypatch.setattr(signup_delivery, "deliver", lambda **message: sent.append(message))
    page, watch = watched_phone
    settings.PORTAL_BASE_URL = live_server.url
    customer = ClientFactory(language="fr", account="Boulangerie", phone="+33611223344", sms_consent=False)
    base = live_server.url
    for name, url in (
        ("unsubscribe", links.unsubscribe_url(customer.pk, "email")),
        ("preferences", links.preferences_url(customer.pk)),
        ("login", base + "/accounts/login/"),
        ("signup", base + "/c/signup/?lang=en"),
    ):
        _visit(page, watch, url)
        _shot(page, name)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("Account reference").fill("Boulangerie")
    page.get_by_label("Your name").fill("Paul")
    page.get_by_label("Mobile number (optional)").fill("06 11 22 33 44")
    page.get_by_role("button", name="Sign up").click()
    page.locator("input[name=code]").wait_for()
    _shot(page, "signup-code")
    code = re.search(r"\b(\d{6})\b", sent[-1]["text"]).group(1)
    page.locator("input[name=code]").fill(code)
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Thank you, it is confirmed").wait_for()
    _shot(page, "signup-done")
    assert watch.violations(page) == []
    customer.refresh_from_db()
    assert customer.sms_consent is True
    pending = SignupRequest.objects.get()
    assert pending.state == SignupRequest.State.CONFIRMED and pending.client == customer

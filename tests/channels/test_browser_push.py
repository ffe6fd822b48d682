"""The preference page's "Enable browser notifications" in headless Chromium at 1366 px, against the live server.

Headless Chromium registers the service worker for real, but refuses a real push subscription: with the
notifications permission granted, ``pushManager.subscribe`` rejects with "AbortError: Registration failed -
permission denied" (headless Chromium has no push service connection to register with). So the test replaces
``PushManager.prototype.subscribe`` with a fake that checks it is given the portal's VAPID key and answers a
subscription whose keys the test holds; everything else — the button, the page's script under the CSP, the
worker's registration, the signed endpoint, the stored row and the consent — is real. A notice then goes to that
subscription through the sandbox's push service and is decrypted with the test's keys.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import http_ece
import pytest

from clients import links
from clients.models import ConsentEvent, PushSubscription
from notifications.providers import channel_provider
from notifications.providers.base import OutboundMessage, SendOptions
from tests.factories import ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")
FAKE_PUSH_MANAGER = """
(() => {
  const subscription = %s;
  window.__subscribeOptions = null;
  PushManager.prototype.getSubscription = async function () { return null; };
  PushManager.prototype.subscribe = async function (options) {
    window.__subscribeOptions = {
      userVisibleOnly: options.userVisibleOnly,
      key: Array.from(new Uint8Array(options.applicationServerKey)),
    };
    return { endpoint: subscription.endpoint, toJSON: () => subscription };
  };
})();
"""


def test_enabling_browser_notifications_subscribes_this_browser(chromium, live_server, settings, push):
    settings.PORTAL_BASE_URL = live_server.url
    customer = ClientFactory(email="ann@example.com")
    browser = push.browser("chromium-1")
    subscription = {
        "endpoint": browser.endpoint,
        "expirationTime": None,
        "keys": {"p256dh": browser.p256dh, "auth": base64.urlsafe_b64encode(browser.auth).rstrip(b"=").decode()},
    }
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(30_000)
    context.grant_permissions(["notifications"], origin=live_server.url)
    context.add_init_script(FAKE_PUSH_MANAGER % json.dumps(subscription))
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(links.preferences_url(customer.pk))
    button = page.get_by_role("button", name="Enable browser notifications")
    assert button.is_visible() and button.is_enabled()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOT_DIR}/preferences-browser-push-before.png", full_page=True)
    button.click()
    page.wait_for_url("**saved=browser")
    assert page.get_by_text("Browser notifications are on").is_visible()
    stored = PushSubscription.objects.get()
    assert stored.client == customer and stored.endpoint == browser.endpoint and stored.p256dh == browser.p256dh
    customer.refresh_from_db()
    assert customer.webpush_consent is True
    assert ConsentEvent.objects.get(channel="webpush").source == "device"
    # The service worker is registered for real, at /c/ (the preference page's scope).
    scope = page.evaluate("navigator.serviceWorker.getRegistration().then(r => r && r.scope)")
    assert scope == f"{live_server.url}/c/"
    # With a live subscription the page now offers the channel's checkbox, ticked.
    assert page.locator("#id_webpush").is_checked()
    if SCREENSHOT_DIR:
        page.screenshot(path=f"{SCREENSHOT_DIR}/preferences-browser-push-after.png", full_page=True)
    assert not [text for text in problems if "Content Security Policy" in text], problems
    # A notice sent to that subscription decrypts with the browser's keys.
    message = OutboundMessage("op-900", "webpush", str(customer.pk), "Power is back", subject="Resolved")
    [result] = channel_provider("webpush").send("webpush", [message], SendOptions())
    assert result.accepted
    [record] = push.received()["webpush"]
    plain = http_ece.decrypt(
        base64.b64decode(record["body"]), private_key=browser.key, auth_secret=browser.auth, version="aes128gcm"
    )
    assert json.loads(plain)["title"] == "Resolved"
    context.close()


def test_the_subscribe_call_gets_the_vapid_key(chromium, live_server, settings, push):
    """Stop before the redirect: the options the page passed to ``subscribe`` carry the portal's public key."""
    settings.PORTAL_BASE_URL = live_server.url
    customer = ClientFactory()
    browser = push.browser("chromium-2")
    context = chromium.new_context(viewport={"width": 1366, "height": 900})
    context.grant_permissions(["notifications"], origin=live_server.url)
    context.add_init_script(FAKE_PUSH_MANAGER % json.dumps({"endpoint": browser.endpoint, "keys": {}}))
    page = context.new_page()
    page.goto(links.preferences_url(customer.pk))
    page.get_by_role("button", name="Enable browser notifications").click()
    page.get_by_text("That did not work").wait_for()  # the endpoint refused a subscription without keys
    options = page.evaluate("window.__subscribeOptions")
    key = base64.urlsafe_b64decode(settings.VAPID_PUBLIC_KEY + "=" * (-len(settings.VAPID_PUBLIC_KEY) % 4))
    assert options == {"userVisibleOnly": True, "key": list(key)}
    assert not PushSubscription.objects.exists()
    context.close()


def test_the_endpoint_refuses_forged_links_and_private_addresses(client, settings, push):
    customer = ClientFactory()
    url = f"/c/preferences/{links.preferences_token(customer.pk)}/browser/"
    browser = push.browser("x")
    body = {"endpoint": browser.endpoint, "keys": {"p256dh": browser.p256dh, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}
    assert client.post("/c/preferences/forged/browser/", body, content_type="application/json").status_code == 400
    assert client.post(url, "not json", content_type="application/json").status_code == 400
    settings.WEBPUSH_ALLOW_PRIVATE = False  # production: http and 127.0.0.1 are refused
    assert client.post(url, body, content_type="application/json").status_code == 400
    settings.WEBPUSH_ALLOW_PRIVATE = True
    assert client.post(url, body, content_type="application/json").status_code == 201
    assert client.get("/c/push-sw.js")["Content-Type"].startswith("text/javascript")

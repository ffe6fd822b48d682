"""The customer pages in Chromium at a phone's viewport, in English and French: usable, labelled, no overflow."""

import os
import re
from pathlib import Path

import pytest

from clients import links
from clients.models import BucketMembership, Client, ConsentEvent
from tests.customers import outbox
from tests.factories import BucketFactory, ClientFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_WIDTH = 390
# SCREENSHOT_DIR=docs/img keeps the pictures the documentation shows.
SCREENSHOT_DIR = os.environ.get("SCREENSHOT_DIR")

UNLABELLED_INPUTS = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !(el.id && document.querySelector(`label[for="${el.id}"]`)) && !el.closest('label'))
  .map(el => el.name)"""


def _check_page(page, language: str, name: str) -> None:
    """Language attribute, one h1, every field labelled, nothing wider than the phone."""
    assert page.get_attribute("html", "lang") == language
    assert page.locator("h1").count() == 1
    assert page.evaluate(UNLABELLED_INPUTS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    if SCREENSHOT_DIR:
        Path(SCREENSHOT_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOT_DIR}/customer-{name}-{language}.png", full_page=True)


@pytest.fixture
def portal(settings, live_server):
    """Signed links point at the live server."""
    settings.PORTAL_BASE_URL = live_server.url
    return live_server


@pytest.mark.parametrize(
    ("language", "button", "done"),
    [
        ("en", "Unsubscribe", "You are unsubscribed"),
        ("fr", "Se désinscrire", "Vous êtes désinscrit"),
    ],
)
def test_unsubscribe_on_a_phone(phone_page, portal, language, button, done):
    """The client opens the link, sees one button in their language, taps it and is unsubscribed."""
    customer = ClientFactory(language=language)
    phone_page.goto(links.unsubscribe_url(customer.pk, "email"))
    _check_page(phone_page, language, "unsubscribe")
    phone_page.get_by_role("button", name=button).click()
    phone_page.get_by_role("heading", name=done).wait_for()
    _check_page(phone_page, language, "unsubscribed")
    customer.refresh_from_db()
    assert customer.email_consent is False


@pytest.mark.parametrize(
    ("language", "sms_label", "kind", "save", "saved"),
    [
        ("en", "SMS", "Planned maintenance", "Save my preferences", "Your preferences are saved."),
        ("fr", "SMS", "Maintenance planifiée", "Enregistrer mes préférences", "Vos préférences sont enregistrées."),
    ],
)
def test_preferences_on_a_phone(phone_page, portal, language, sms_label, kind, save, saved):
    """Unticking SMS and a kind by touch, then saving, is recorded and confirmed in the client's language."""
    customer = ClientFactory(language=language)
    phone_page.goto(links.preferences_url(customer.pk))
    _check_page(phone_page, language, "preferences")
    phone_page.get_by_label(re.compile(f"^{sms_label}")).uncheck()
    phone_page.get_by_label(kind).uncheck()
    phone_page.get_by_role("button", name=save).click()
    phone_page.get_by_text(saved).wait_for()
    customer.refresh_from_db()
    assert customer.sms_consent is False and customer.muted_kinds == ["maintenance"]
    assert ConsentEvent.objects.get(client=customer).source == "preferences"


def test_keyboard_focus_is_visible(phone_page, portal):
    """Tab reaches the skip link first, and a focused button draws an outline."""
    phone_page.goto(f"{portal.url}/c/signup/?lang=en")
    phone_page.keyboard.press("Tab")
    assert phone_page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    phone_page.focus("button[type=submit]")
    phone_page.keyboard.press("Shift+Tab")
    phone_page.keyboard.press("Tab")
    outline = phone_page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("", "none")


@pytest.mark.parametrize(
    ("language", "labels", "submit", "confirm", "thanks"),
    [
        (
            "en",
            ("Account reference", "Your name", "Mobile number (optional)"),
            "Sign up",
            "Confirm",
            "Thank you, it is confirmed",
        ),
        (
            "fr",
            ("Référence client", "Votre nom", "Numéro de mobile (facultatif)"),
            "S'inscrire",
            "Confirmer",
            "Merci, c'est confirmé",
        ),
    ],
)
def test_signup_by_sms_on_a_phone(phone_page, portal, settings, language, labels, submit, confirm, thanks):
    """A client who left signs up again with the number on file, types the SMS code, and hears from us again."""
    bucket = BucketFactory()
    on_file = ClientFactory(account="Boulangerie Dupont", phone="+33611223344", sms_consent=False)
    BucketMembership.objects.create(bucket=bucket, client=on_file)
    phone_page.goto(f"{portal.url}/c/signup/?lang={language}")
    _check_page(phone_page, language, "signup")
    account, name, mobile = labels
    phone_page.get_by_label(account).fill("Boulangerie Dupont")
    phone_page.get_by_label(name).fill("Paul Dupont")
    phone_page.get_by_label(mobile).fill("06 11 22 33 44")
    phone_page.get_by_role("button", name=submit).click()
    phone_page.locator("input[name=code]").wait_for()
    _check_page(phone_page, language, "signup-code")
    code = re.search(r"\b(\d{6})\b", outbox.sent[-1]["text"]).group(1)
    phone_page.locator("input[name=code]").fill(code)
    phone_page.get_by_role("button", name=confirm).click()
    phone_page.get_by_role("heading", name=thanks).wait_for()
    _check_page(phone_page, language, "signup-done")
    created = Client.objects.get(phone="+33611223344")
    assert created.pk == on_file.pk and created.sms_consent is True and created.language == language
    assert list(created.buckets.all()) == [bucket]

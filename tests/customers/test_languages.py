"""Issue 13 item 8, languages are data: any language PORTAL_LANGUAGES lists can hold clients and templates, and
customer pages and built-in texts read in English where no translation exists."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from clients import links
from clients.importing import clients_import_csv
from clients.models import Client
from notifications.content import ContentRenderer, recipient_data, sms_stop_line
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
WITH_SPANISH = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("es", "Español")]


def settings_languages(value: str) -> str:
    """settings.LANGUAGES as a fresh process reads PORTAL_LANGUAGES."""
    code = "import django, os; django.setup(); from django.conf import settings; print(settings.LANGUAGES)"
    env = {"DJANGO_SETTINGS_MODULE": "outage_portal.settings", "PORTAL_LANGUAGES": value, "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def test_portal_languages_takes_any_language_django_knows():
    """es and pt-br are configuration, not code: named in their own language, English always first."""
    assert "('es', 'Español')" in settings_languages("en,fr,es,pt-br")
    assert "('pt-br', 'Português Brasileiro')" in settings_languages("fr,pt-br")
    assert settings_languages("fr,pt-br").count("('en', 'English')") == 1
    assert "is not a language code Django knows" in settings_languages("en,klingon")


def test_a_client_in_spanish_is_imported_and_gets_the_spanish_template(settings):
    settings.LANGUAGES = WITH_SPANISH
    report = clients_import_csv(data=b"external_ref,name,language\nES-1,Ana,es\nXX-1,Zed,xx\n", filename="c.csv")
    assert report.error_count == 1 and "unknown language" in report.errors[0].reason
    ana = Client.objects.get(external_ref="ES-1")
    content = {"en": {"sms": {"text": "Outage"}}, "es": {"sms": {"text": "Corte del servicio"}}}
    renderer = ContentRenderer(content=content, fallback_language="en", sms_stop_line=True)
    text = renderer.render(recipient=recipient_data(ana), language="es", channel="sms").text
    assert text == "Corte del servicio Reply STOP to opt out"  # no Spanish catalogue: the built-in line in English


def test_the_stop_line_is_translated_where_a_translation_exists():
    assert sms_stop_line("fr") == " Répondez STOP pour vous désabonner"
    assert sms_stop_line("es") == " Reply STOP to opt out"


def test_spanish_customer_page_falls_back_to_english(client, settings):
    """The preferences page of a Spanish client says lang="es" and reads in English where nothing is translated."""
    settings.LANGUAGES = WITH_SPANISH
    ana = ClientFactory(language="es")
    page = client.get(links.preferences_url(ana.pk).replace(settings.PORTAL_BASE_URL, ""))
    assert page.status_code == 200
    assert '<html lang="es">' in page.text and page["Content-Language"] == "es"
    english = ClientFactory(language="en")
    reference = client.get(links.preferences_url(english.pk).replace(settings.PORTAL_BASE_URL, ""))
    heading = reference.text.split("<h1", 1)[1].split("</h1>", 1)[0]
    assert heading in page.text
    assert "Español" in page.text  # the language switch offers it


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_spanish_customer_page_in_a_phone_browser(phone_page, live_server, settings):
    """In Chromium at 390 px: the Spanish client's page renders (English text), offers Español in the language
    switch, and switching to French translates it."""
    settings.LANGUAGES = WITH_SPANISH
    settings.PORTAL_BASE_URL = live_server.url
    ana = ClientFactory(language="es")
    phone_page.goto(links.preferences_url(ana.pk))
    assert phone_page.locator("html").get_attribute("lang") == "es"
    heading = phone_page.locator("h1").inner_text()
    if os.environ.get("ADMIN_SCREENSHOTS"):
        phone_page.screenshot(path=f"{os.environ['ADMIN_SCREENSHOTS']}/customer-es-390.png", full_page=True)
    assert heading and phone_page.locator(".lang-switch a[hreflang=es]").inner_text() == "Español"
    phone_page.click(".lang-switch a[hreflang=fr]")
    phone_page.wait_for_load_state()
    assert phone_page.locator("html").get_attribute("lang") == "fr"
    assert phone_page.locator("h1").inner_text() != heading
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390

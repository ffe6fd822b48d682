"""The reader's language (the link's, then the browser's, then English) and time zone (?tz=, shown on the page)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.public.helpers import incident_of, notice

pytestmark = pytest.mark.django_db

TEXTS = {"en": "Engineers are on site.", "fr": "Les techniciens sont sur place.", "de": "Techniker sind vor Ort."}


@pytest.fixture
def incident_url(ops, audience):
    campaign = notice(actor=ops, clients=audience, public_text=TEXTS)
    return reverse("public:incident", args=[incident_of(campaign).public_id])


def test_the_link_language_wins(client, incident_url):
    html = client.get(incident_url + "?lang=fr", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<html lang="fr">' in html and TEXTS["fr"] in html and TEXTS["de"] not in html
    assert "Mises à jour" in html  # the page itself is in French too


def test_without_a_link_language_the_browser_decides(client, incident_url):
    response = client.get(incident_url, HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9,en;q=0.5")
    html = response.content.decode()
    assert response["Content-Language"] == "de" and TEXTS["de"] in html and "Aktualisierungen" in html
    assert "Accept-Language" in response["Vary"]


def test_an_unknown_language_falls_back_to_english(client, incident_url):
    html = client.get(incident_url + "?lang=xx", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="en">' in html and TEXTS["en"] in html


def test_an_update_without_a_text_in_the_language_shows_english_marked_as_such(client, ops, audience):
    campaign = notice(actor=ops, clients=audience, public_text={"en": "Only in English."})
    url = reverse("public:incident", args=[incident_of(campaign).public_id]) + "?lang=de"
    html = client.get(url).content.decode()
    assert '<div class="update-text" lang="en">' in html and "Only in English." in html


def test_the_time_zone_comes_from_the_link_and_is_shown(client, incident_url):
    html = client.get(incident_url + "?lang=en&tz=Asia/Tokyo").content.decode()
    assert "Times are shown in Asia/Tokyo." in html and "JST" in html
    html = client.get(incident_url + "?lang=en&tz=Not/AZone").content.decode()
    assert "Times are shown in UTC." in html

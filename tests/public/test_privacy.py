"""No personal data on public pages: every name and address of the incident's audience, its internal note and its
recipient counts are looked for in every public page and feed, in every language, and none is found."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from notifications.models import Message
from tests.public.helpers import follow_up, incident_of, notice

pytestmark = pytest.mark.django_db


def test_no_client_name_address_note_or_count_on_any_public_page_or_feed(client, ops, audience):
    first = notice(actor=ops, clients=audience, public_text={"en": "We are on it."})
    follow_up(first, actor=ops, kind="update", public_text={"fr": "Nous avançons."})
    last = follow_up(first, actor=ops, kind="resolved")
    incident = incident_of(last)
    assert Message.objects.filter(send__campaign_link__campaign__incident=incident).count() == 18
    public_id = incident.public_id
    urls = [
        "/",
        reverse("public:status"),
        reverse("public:status_feed", args=["atom"]),
        reverse("public:status_feed", args=["json"]),
        reverse("public:incident", args=[public_id]),
        reverse("public:incident_feed", args=[public_id, "atom"]),
        reverse("public:incident_feed", args=[public_id, "json"]),
    ]
    secrets = ["Vendor ticket 4711", "olivia"]
    for person in audience:
        secrets += [person.name, person.account, person.email, person.phone, person.phone[-9:], person.external_ref]
    seen = 0
    for url in urls:
        for language, _name in settings.LANGUAGES:
            response = client.get(url, {"lang": language})
            assert response.status_code == 200, url
            body = response.content.decode()
            assert "Fibre cut in Lyon" in body
            seen += 1
            for secret in secrets:
                assert secret not in body, f"{secret!r} found on {url}?lang={language}"
            for count in ("18 ", "6 recipients", "3 recipients"):
                assert count not in body
    assert seen == len(urls) * len(settings.LANGUAGES)

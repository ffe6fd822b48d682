"""The crowd's fast path: a cached public page is answered without a database query and without sessions, with the
security headers of the full stack; a change invalidates it; staff at / still get their dashboard."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.public.helpers import follow_up, forget_local_caches, incident_of, notice

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(ops, audience):
    return incident_of(notice(actor=ops, clients=audience, public_text={"en": "First words."}))


def test_a_cached_page_costs_no_query_and_keeps_the_security_headers(client, incident, django_assert_num_queries):
    url = reverse("public:incident", args=[incident.public_id]) + "?lang=en"
    first = client.get(url)
    with django_assert_num_queries(0):
        again = client.get(url + "&utm_source=sms&x=1", HTTP_COOKIE="tracking=1")  # noise does not bust the cache
    forget_local_caches()
    with django_assert_num_queries(0):
        shared = client.get(url)  # another process: from the shared cache
    assert first.content == again.content == shared.content
    for name in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"):
        assert again[name] == first[name], name
    assert "script-src 'self'" in again["Content-Security-Policy"]
    assert again["ETag"] == first["ETag"] and not again.cookies
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_new_update_invalidates_every_cached_copy(client, ops, incident):
    url = reverse("public:incident", args=[incident.public_id]) + "?lang=en"
    status_url = reverse("public:status") + "?lang=en"
    before, status_before = client.get(url).content, client.get(status_url).content
    first = incident.campaigns.get()
    follow_up(first, actor=ops, kind="update", public_text={"en": "Second words."})
    assert b"Second words." in client.get(url).content and client.get(url).content != before
    assert client.get(status_url).content != status_before


def test_visitors_get_the_status_page_at_the_root_and_staff_their_dashboard(client, ops, incident):
    anonymous = client.get("/", {"lang": "en"})
    assert (
        anonymous.status_code == 200
        and b"Fibre cut in Lyon" in anonymous.content
        and b"Service status" in anonymous.content
    )
    client.force_login(ops)
    staff = client.get("/")
    assert staff.status_code == 200 and b"New outage notice" in staff.content
    assert b"Service status" not in staff.content or b"/status/" in staff.content


def test_pages_need_no_script_and_load_nothing_from_elsewhere(client, incident):
    for url in ("/", reverse("public:status"), reverse("public:incident", args=[incident.public_id])):
        html = client.get(url).content.decode()
        assert "<script" not in html
        for attribute in ('src="http', "src='http", 'href="http', "url(http"):
            assert attribute not in html, (url, attribute)

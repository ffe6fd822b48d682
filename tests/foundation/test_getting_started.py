"""Issue 13 items 11 and 12, what a newcomer meets first: the admin says "Outage Portal", there is an icon (no 404 on
every page), the sandbox's own address answers with a page, and make run's workers keep /readyz green."""

from __future__ import annotations

import pytest
import requests
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_admin_pages_say_outage_portal_not_django(client):
    client.force_login(UserFactory(username="registry-admin", groups=["Admins"], is_staff=True))
    page = client.get(reverse("admin:index")).text
    assert "Outage Portal" in page
    assert "Django administration" not in page and "Django site admin" not in page


def test_login_page_of_the_admin_says_outage_portal(client):
    page = client.get("/admin/login/").text
    assert "Outage Portal" in page and "Django administration" not in page


def test_favicon_is_served_not_a_404(client):
    """/favicon.ico (asked by browsers on every page without an icon link) leads to the portal's icon."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg")


def test_pages_link_their_icon(client):
    client.force_login(UserFactory(username="ops-user", groups=["Ops"], is_staff=False))
    for url in ("/", "/accounts/login/", "/admin/login/"):
        assert 'rel="icon"' in client.get(url, follow=True).text, url


def test_sandbox_root_answers_with_a_short_page(infobip_sandbox):
    """Opening the sandbox's address (printed by make run) shows what it is, not a JSON 404."""
    response = requests.get(infobip_sandbox.url + "/", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Infobip sandbox" in response.text
    assert requests.get(infobip_sandbox.url + "/nothing-here", timeout=10).status_code == 404

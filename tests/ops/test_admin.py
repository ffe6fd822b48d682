"""Admin for the monitoring API: a token is shown once at creation and rotation, and only its hash is kept."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages

from campaigns.api.tokens import api_token_authenticate, token_hash
from campaigns.models import AlertLink, AlertRoute, ApiToken
from tests.factories import UserFactory
from tests.ops.factories import AlertRouteFactory, token_with

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r"opt_[A-Za-z0-9_-]{40,}")


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_adding_a_token_shows_its_value_once_and_stores_the_hash(admin_client):
    """The add form creates a token with the chosen permissions; the message carries the value that authenticates."""
    response = admin_client.post(
        "/admin/campaigns/apitoken/add/",
        {
            "name": "Alertmanager prod",
            "active": "on",
            "can_create_draft": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    (raw,) = TOKEN.findall(" ".join(str(m) for m in get_messages(response.wsgi_request)))
    token = ApiToken.objects.get()
    assert token.token_hash == token_hash(raw) and raw not in token.token_hash
    assert token.can_create_draft and not token.can_send_without_review
    assert api_token_authenticate(raw) == token
    assert raw not in admin_client.get(f"/admin/campaigns/apitoken/{token.pk}/change/").content.decode()


def test_rotating_replaces_the_value(admin_client):
    """The rotate action issues a new value; the old one stops working."""
    token, old = token_with("can_read_status")
    response = admin_client.post(
        "/admin/campaigns/apitoken/", {"action": "rotate", "_selected_action": [token.pk]}, follow=True
    )
    new = TOKEN.search(" ".join(str(m) for m in get_messages(response.wsgi_request))).group(0)
    assert api_token_authenticate(old) is None and api_token_authenticate(new) == token


def test_alert_route_and_link_pages_open(admin_client):
    """The alert route list and change pages render; alert links cannot be added by hand."""
    route = AlertRouteFactory()
    assert admin_client.get("/admin/campaigns/alertroute/").status_code == 200
    assert admin_client.get(f"/admin/campaigns/alertroute/{route.pk}/change/").status_code == 200
    assert admin_client.get("/admin/campaigns/alertlink/add/").status_code == 403
    assert AlertRoute.objects.count() == 1 and AlertLink.objects.count() == 0

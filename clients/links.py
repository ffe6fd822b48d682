"""Signed links for customers: one-click unsubscribe and the preference page.

A link carries the client's id and the channel, signed with the project's secret and a purpose-specific salt, so
it works without login, cannot be forged, and cannot be used for another client. Links age out after
``CUSTOMER_LINK_MAX_AGE`` seconds.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

UNSUBSCRIBE_SALT = "clients.unsubscribe"
PREFERENCES_SALT = "clients.preferences"
DEFAULT_MAX_AGE = 60 * 60 * 24 * 180
ONE_CLICK_POST = "List-Unsubscribe=One-Click"


def max_age() -> int:
    return getattr(settings, "CUSTOMER_LINK_MAX_AGE", DEFAULT_MAX_AGE)


def unsubscribe_token(client_id: int, channel: str) -> str:
    return signing.dumps({"c": client_id, "ch": channel}, salt=UNSUBSCRIBE_SALT, compress=True)


def preferences_token(client_id: int) -> str:
    return signing.dumps({"c": client_id}, salt=PREFERENCES_SALT, compress=True)


def read_unsubscribe_token(token: str, *, check_age: bool = True) -> tuple[int, str]:
    """Return (client id, channel); raises ``signing.BadSignature`` (or ``SignatureExpired``) when invalid.

    ``check_age=False`` reads an authentic but expired link, only to speak to its owner in their language.
    """
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=max_age() if check_age else None)
    return int(data["c"]), str(data["ch"])


def read_preferences_token(token: str, *, check_age: bool = True) -> int:
    data = signing.loads(token, salt=PREFERENCES_SALT, max_age=max_age() if check_age else None)
    return int(data["c"])


def unsubscribe_url(client_id: int, channel: str, *, message_id: str = "") -> str:
    url = settings.PORTAL_BASE_URL + reverse("clients:unsubscribe", args=[unsubscribe_token(client_id, channel)])
    return f"{url}?{urlencode({'m': message_id})}" if message_id else url


def preferences_url(client_id: int) -> str:
    return settings.PORTAL_BASE_URL + reverse("clients:preferences", args=[preferences_token(client_id)])

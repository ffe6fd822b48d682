"""Authentication of every webhook Infobip calls (delivery reports, inbound SMS), before the body is parsed.

Per-message report URLs carry no credentials of their own (docs/infobip.md §5), so the URL holds a secret
token; reports routed through Infobip's subscription profiles may use Basic auth or an HMAC of the body instead.
Secrets come from ``INFOBIP_WEBHOOK_SECRETS`` (a list, so they can be rotated; ``notifications/callbacks.py``) and
are compared in constant time, before the body is parsed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from django.http import HttpRequest

from notifications.callbacks import webhook_secrets

HMAC_HEADERS = ("X-Hub-Signature-256", "X-Infobip-Signature", "X-Signature")


def _matches_any(candidate: str) -> bool:
    # Compare against every secret (no early exit), so timing does not reveal which one matched.
    found = False
    for secret in webhook_secrets():
        found |= hmac.compare_digest(candidate.encode(), secret.encode())
    return found


def _basic_password(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    _user, _sep, password = decoded.partition(":")
    return password


def _hmac_valid(request: HttpRequest) -> bool:
    for name in HMAC_HEADERS:
        signature = request.headers.get(name)
        if not signature:
            continue
        signature = signature.removeprefix("sha256=").strip().lower()
        found = False
        for secret in webhook_secrets():
            expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
            found |= hmac.compare_digest(signature.encode(), expected.encode())
        return found
    return False


def webhook_authenticated(request: HttpRequest, url_token: str | None = None) -> bool:
    """True when the URL token, the Basic-auth password or an HMAC-SHA256 of the body matches a secret."""
    if not webhook_secrets():
        return False
    if url_token is not None and _matches_any(url_token):
        return True
    password = _basic_password(request)
    if password is not None and _matches_any(password):
        return True
    return _hmac_valid(request)

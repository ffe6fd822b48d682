"""API tokens: made once, shown once, kept as a hash.

A token is 32 random bytes, so a plain SHA-256 is enough to store it (a slow password hash protects guessable
secrets; this one is not guessable) and lets a request find its token with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.utils import timezone

from campaigns.models import ApiToken

TOKEN_PREFIX = "opt_"
# last_used_at is written at most this often, so a busy monitor does not write on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_issue(token: ApiToken) -> str:
    """Give ``token`` a fresh value (not saved yet) and return it in clear, the only time it is seen."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token.prefix, token.token_hash = raw[:10], token_hash(raw)
    return raw


def api_token_create(
    *,
    name: str,
    can_create_draft: bool = False,
    can_read_status: bool = False,
    can_send_without_review: bool = False,
    can_register_devices: bool = False,
    created_by: User | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its clear value; the clear value exists nowhere else afterwards."""
    token = ApiToken(
        name=name,
        can_create_draft=can_create_draft,
        can_read_status=can_read_status,
        can_send_without_review=can_send_without_review,
        can_register_devices=can_register_devices,
        created_by=created_by if getattr(created_by, "pk", None) else None,
    )
    raw = token_issue(token)
    token.save()
    return token, raw


def api_token_rotate(*, token: ApiToken) -> str:
    """Give an existing token a new value (the old one stops working) and return it once."""
    raw = token_issue(token)
    token.save(update_fields=["prefix", "token_hash"])
    return raw


def api_token_authenticate(raw: str) -> ApiToken | None:
    """The active token with this value, or None; notes when it was last used."""
    if not raw or len(raw) > 200:
        return None
    token = ApiToken.objects.filter(token_hash=token_hash(raw), active=True).first()
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token

"""Registering and retiring push addresses: browser subscriptions (preference page) and app devices (public API).

Why here: the preference page (clients) and the API (campaigns) both register, and the push providers
(notifications) retire what the push service says is gone; the imports run campaigns → notifications → clients, so
the one place all three can call is the client registry. Registering is the client's opt-in on that channel unless
they opted out before (an opt-out is only undone on the preference page: the app's registration does not undo it,
the client's own "Enable browser notifications" does), recorded as a ConsentEvent.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from clients.consent import consent_set
from clients.models import Channel, Client, DeviceToken, PushSubscription
from clients.push_endpoints import EndpointError, endpoint_check
from clients.push_models import TOKEN_MAX

__all__ = [
    "PushValueError",
    "device_token_register",
    "device_token_unregister",
    "device_tokens_gone",
    "subscription_register",
    "subscriptions_gone",
]

_TOKEN = re.compile(r"^[A-Za-z0-9_:\-.]+$")  # FCM registration tokens: URL-safe characters and colons


class PushValueError(ValueError):
    """A subscription or token that cannot be stored; the message says why (never echoing the value)."""


def _b64url_bytes(value: object, name: str) -> bytes:
    if not isinstance(value, str) or not 0 < len(value) <= 128:
        raise PushValueError(f"keys.{name} missing or too long")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as err:
        raise PushValueError(f"keys.{name} is not base64url") from err


def _opt_in(client: Client, channel: str, detail: str, *, again: bool = False) -> None:
    """Registering a device is consent, unless the client opted out on this channel before (``again``: the client
    asked for it themselves on the preference page, which undoes an opt-out)."""
    if again or getattr(client, f"{channel}_opted_out_at") is None:
        consent_set(client=client, channel=channel, given=True, source="device", detail=detail)


@transaction.atomic
def subscription_register(*, client: Client, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Store (or revive, or move to this client) a browser's subscription after checking it (RFC 8291 key sizes)."""
    try:
        endpoint_check(endpoint)
    except EndpointError as err:
        raise PushValueError(str(err)) from err
    public_key = _b64url_bytes(p256dh, "p256dh")
    if len(public_key) != 65 or public_key[0] != 4:  # an uncompressed P-256 point
        raise PushValueError("keys.p256dh is not a P-256 public key")
    if len(_b64url_bytes(auth, "auth")) != 16:
        raise PushValueError("keys.auth is not a 16-byte secret")
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"client": client, "p256dh": p256dh, "auth": auth, "gone_at": None}
    )
    _opt_in(client, Channel.WEBPUSH, "browser enabled on the preference page", again=True)
    return subscription


@transaction.atomic
def device_token_register(*, client: Client, token: str, platform: str = "") -> DeviceToken:
    if not isinstance(token, str) or not 0 < len(token) <= TOKEN_MAX or not _TOKEN.match(token):
        raise PushValueError(f"token missing, too long (over {TOKEN_MAX}) or not an FCM token")
    device, _created = DeviceToken.objects.update_or_create(
        token=token, defaults={"client": client, "platform": str(platform or "")[:16], "gone_at": None}
    )
    _opt_in(client, Channel.APPPUSH, "app device registered")
    return device


def device_token_unregister(*, client: Client, token: str) -> bool:
    """Forget the client's device (the app signed out); False when the client had no such token."""
    deleted, _ = DeviceToken.objects.filter(client=client, token=str(token)[:TOKEN_MAX]).delete()
    return bool(deleted)


def subscriptions_gone(ids: Iterable[int]) -> int:
    """The push service answered 404/410: these subscriptions are never sent to again."""
    return PushSubscription.objects.filter(pk__in=list(ids), gone_at__isnull=True).update(gone_at=timezone.now())


def device_tokens_gone(ids: Iterable[int]) -> int:
    """FCM answered UNREGISTERED/404: these devices are never sent to again."""
    return DeviceToken.objects.filter(pk__in=list(ids), gone_at__isnull=True).update(gone_at=timezone.now())

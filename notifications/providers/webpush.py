"""Web push (RFC 8030) to each live browser subscription of a client: payload encrypted per RFC 8291 (aes128gcm)
by ``pywebpush``, signed with our VAPID key (RFC 8292), one POST per subscription.

A push service answers 201 Created when it has stored the message for the browser; nothing reports delivery to the
browser afterwards, so an accepted web push stays ``accepted`` (docs/channels.md). 404/410 mean the subscription is
gone: it is marked and never used again. Endpoints are checked again before each request (clients/push_endpoints.py).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from py_vapid import Vapid02
from pywebpush import WebPusher

from clients.models import PushSubscription
from clients.push import subscriptions_gone
from clients.push_endpoints import EndpointError, endpoint_check
from notifications.channels.push import notification
from notifications.channels.webpush import WebPush
from notifications.providers.base import BaseProvider, OutboundMessage, SendOptions, SendResult, StatusReport
from notifications.providers.push_common import (
    GONE,
    OK,
    REFUSED,
    THROTTLED,
    UNKNOWN,
    DeviceOutcome,
    SessionHolder,
    push_finish,
    send_to_devices,
    transport_outcome,
)

logger = logging.getLogger("notifications.providers.webpush")
Subscription = tuple[int, str, str, str]  # id, endpoint, p256dh, auth


def vapid_claims(endpoint: str, subject: str, *, now: float | None = None) -> dict[str, str | int]:
    """RFC 8292's claims: the push service's origin, an expiry within 24 hours (12 here) and who to contact."""
    parts = urlsplit(endpoint)
    return {"aud": f"{parts.scheme}://{parts.netloc}", "exp": int((now or time.time()) + 12 * 3600), "sub": subject}


class WebPushProvider(BaseProvider):
    name = "webpush"
    max_batch = {WebPush.name: WebPush.max_batch}  # one request per device, so batches stay small

    def __init__(self) -> None:
        self._sessions = SessionHolder()
        self._vapid: tuple[str, Vapid02] | None = None
        self._lock = threading.Lock()

    def longest_request(self) -> float:
        return 2 * settings.PUSH_TIMEOUT_CONNECT + settings.PUSH_TIMEOUT_READ

    def _signer(self) -> Vapid02:
        key = str(settings.VAPID_PRIVATE_KEY)
        with self._lock:
            if self._vapid is None or self._vapid[0] != key:
                self._vapid = (key, Vapid02.from_string(private_key=key))
            return self._vapid[1]

    def send(self, channel: str, messages: list[OutboundMessage], options: SendOptions) -> list[SendResult]:
        client_ids = {int(message.destination) for message in messages if message.destination.isdigit()}
        live: dict[int, list[Subscription]] = {}
        for pk, client_id, endpoint, p256dh, auth in PushSubscription.objects.filter(
            client_id__in=client_ids, gone_at__isnull=True
        ).values_list("pk", "client_id", "endpoint", "p256dh", "auth"):
            live.setdefault(client_id, []).append((pk, endpoint, p256dh, auth))
        work = [
            (message, subscription)
            for message in messages
            for subscription in live.get(int(message.destination) if message.destination.isdigit() else 0, [])
        ]
        started = time.monotonic()
        done = send_to_devices(work, self._one, not_after=options.not_after, concurrency=settings.PUSH_CONCURRENCY)
        return push_finish(messages, work, done, name=self.name, started=started, mark_gone=subscriptions_gone)

    def _one(self, message: OutboundMessage, subscription: Subscription) -> DeviceOutcome:
        _pk, endpoint, p256dh, auth = subscription
        try:
            endpoint_check(endpoint)
        except EndpointError as err:
            return DeviceOutcome(REFUSED, error=str(err))
        headers = {
            **self._signer().sign(vapid_claims(endpoint, settings.VAPID_SUBJECT)),
            "Topic": message.message_id[:32],  # RFC 8030 §5.4: a resent copy replaces one not yet delivered
            "Urgency": "high",
        }
        payload = json.dumps(notification(message), ensure_ascii=False, separators=(",", ":"))
        pusher = WebPusher(
            {"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}}, requests_session=self._sessions.get()
        )
        try:
            response = pusher.send(
                payload,
                headers,
                ttl=settings.WEBPUSH_TTL_SECONDS,
                content_encoding="aes128gcm",
                timeout=(settings.PUSH_TIMEOUT_CONNECT, settings.PUSH_TIMEOUT_READ),
            )
        except requests.TooManyRedirects:
            return DeviceOutcome(REFUSED, error="push service redirected; not followed")
        except requests.RequestException as err:
            return DeviceOutcome(transport_outcome(err), error=type(err).__name__)
        status = getattr(response, "status_code", 0)
        if status in (200, 201, 202):
            return DeviceOutcome(OK, provider_id=str(response.headers.get("Location", ""))[-100:])
        if status in (404, 410):
            return DeviceOutcome(GONE, error=f"subscription gone ({status})")
        if status == 429:
            return DeviceOutcome(THROTTLED, error="429")
        if 400 <= status < 500:  # 400 bad request, 401/403 VAPID refused, 413 too large: this copy never goes
            return DeviceOutcome(REFUSED, error=f"push service refused ({status})")
        return DeviceOutcome(UNKNOWN, error=f"push service answered {status}")

    def lookup(self, channel: str, message_ids: list[str]) -> dict[str, StatusReport]:
        """Push services keep no log we may ask: nothing is known, so an unknown outcome is resent (Topic, tag)."""
        return {}

    def pull_reports(self, channel: str, *, limit: int = 1000) -> list[StatusReport]:
        return []  # no delivery reports exist for web push

    def close(self) -> None:
        self._sessions.close()

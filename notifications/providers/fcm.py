"""App push through Firebase Cloud Messaging's HTTP v1 API: one ``messages:send`` per live device token.

``POST {FCM_BASE_URL}/v1/projects/{FCM_PROJECT_ID}/messages:send`` with ``{"message": {"token", "notification",
"data", "android", "apns"}}`` (the shape in tests/fixtures/fcm_v1_schema.json, from Google's discovery document) and
an OAuth2 bearer token from the service account in ``FCM_CREDENTIALS_FILE`` (google-auth; the file's ``token_uri``
is honoured, so the sandbox can play Google's token endpoint). 200 means FCM accepted the message for the device;
FCM reports no delivery, so it stays ``accepted`` (docs/channels.md). ``UNREGISTERED`` / 404 marks the token gone.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import requests
from django.conf import settings
from google.auth.exceptions import GoogleAuthError
from google.auth.transport.requests import Request
from google.oauth2 import service_account

from clients.models import DeviceToken
from clients.push import device_tokens_gone
from notifications.channels.apppush import AppPush
from notifications.channels.push import notification
from notifications.providers.base import (
    BaseProvider,
    OutboundMessage,
    PermanentProviderError,
    RetryableProviderError,
    SendOptions,
    SendResult,
    StatusReport,
)
from notifications.providers.push_common import (
    GONE,
    OK,
    REFUSED,
    RETRY,
    THROTTLED,
    UNKNOWN,
    DeviceOutcome,
    SessionHolder,
    push_finish,
    send_to_devices,
    transport_outcome,
)

logger = logging.getLogger("notifications.providers.fcm")
SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
Device = tuple[int, str]  # id, token


def fcm_body(message: OutboundMessage, token: str) -> dict[str, Any]:
    """One ``SendMessageRequest``: the notification, its values as ``data`` too, and the tag that collapses copies."""
    shown = notification(message)
    return {
        "message": {
            "token": token,
            "notification": {"title": shown["title"], "body": shown["body"]},
            "data": {"message_id": message.message_id, "url": shown["url"]},
            "android": {"priority": "HIGH", "notification": {"tag": shown["tag"]}},
            "apns": {"headers": {"apns-collapse-id": shown["tag"][:64], "apns-priority": "10"}},
        }
    }


def _error_code(answer: object) -> str:
    """FCM's own code (``UNREGISTERED``, ``INVALID_ARGUMENT``, …) from a google.rpc error body, or ""."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return ""
    for detail in error.get("details") or []:
        if isinstance(detail, dict) and isinstance(detail.get("errorCode"), str):
            return str(detail["errorCode"])[:40]
    return str(error.get("status") or "")[:40]


class FcmProvider(BaseProvider):
    name = "fcm"
    max_batch = {AppPush.name: AppPush.max_batch}  # one request per device, so batches stay small

    def __init__(self) -> None:
        self._sessions = SessionHolder()
        self._credentials: service_account.Credentials | None = None
        self._lock = threading.Lock()

    def longest_request(self) -> float:
        return 2 * settings.PUSH_TIMEOUT_CONNECT + settings.PUSH_TIMEOUT_READ

    def _bearer(self, *, renew: bool = False) -> str:
        """A valid access token, fetched (or renewed) under a lock so parallel requests share one."""
        with self._lock:
            if self._credentials is None:
                self._credentials = service_account.Credentials.from_service_account_file(
                    settings.FCM_CREDENTIALS_FILE, scopes=[SCOPE]
                )
            if renew or not self._credentials.valid:
                self._credentials.refresh(Request(session=self._sessions.get()))
            return str(self._credentials.token)

    def send(self, channel: str, messages: list[OutboundMessage], options: SendOptions) -> list[SendResult]:
        client_ids = {int(message.destination) for message in messages if message.destination.isdigit()}
        live: dict[int, list[Device]] = {}
        for pk, client_id, token in DeviceToken.objects.filter(
            client_id__in=client_ids, gone_at__isnull=True
        ).values_list("pk", "client_id", "token"):
            live.setdefault(client_id, []).append((pk, token))
        work = [
            (message, device)
            for message in messages
            for device in live.get(int(message.destination) if message.destination.isdigit() else 0, [])
        ]
        if work:
            try:
                self._bearer()
            except (GoogleAuthError, OSError, ValueError) as err:  # nothing was sent: try again later
                raise RetryableProviderError(f"fcm: no access token ({type(err).__name__})", code="AUTH") from err
        started = time.monotonic()
        done = send_to_devices(work, self._one, not_after=options.not_after, concurrency=settings.PUSH_CONCURRENCY)
        if done and all(outcome.error == "AUTH" for *_rest, outcome in done):
            raise PermanentProviderError("fcm: every request was refused (401/403)", http_status=403, code="AUTH")
        return push_finish(messages, work, done, name=self.name, started=started, mark_gone=device_tokens_gone)

    def _one(self, message: OutboundMessage, device: Device) -> DeviceOutcome:
        url = f"{settings.FCM_BASE_URL}/v1/projects/{settings.FCM_PROJECT_ID}/messages:send"
        try:
            response = self._sessions.get().post(
                url,
                json=fcm_body(message, device[1]),
                headers={"Authorization": f"Bearer {self._bearer()}"},
                timeout=(settings.PUSH_TIMEOUT_CONNECT, settings.PUSH_TIMEOUT_READ),
                allow_redirects=False,
            )
        except requests.RequestException as err:
            return DeviceOutcome(transport_outcome(err), error=type(err).__name__)
        except (GoogleAuthError, OSError, ValueError):
            return DeviceOutcome(RETRY, error="no access token")
        try:
            answer: object = response.json()
        except ValueError:
            answer = None
        status, code = response.status_code, _error_code(answer)
        if status == 200:
            name = answer.get("name") if isinstance(answer, dict) else ""
            return DeviceOutcome(OK, provider_id=str(name or "")[-100:])
        if status == 404 or code == "UNREGISTERED":
            return DeviceOutcome(GONE, error="UNREGISTERED")
        if status in (401, 403):  # not accepted; the token is renewed for the next request
            try:
                self._bearer(renew=True)
            except (GoogleAuthError, OSError, ValueError):
                pass
            return DeviceOutcome(RETRY, error="AUTH")
        if status == 429:
            return DeviceOutcome(THROTTLED, error=code or "429")
        if 400 <= status < 500:
            return DeviceOutcome(REFUSED, error=code or f"FCM answered {status}")
        return DeviceOutcome(UNKNOWN, error=code or f"FCM answered {status}")

    def lookup(self, channel: str, message_ids: list[str]) -> dict[str, StatusReport]:
        """FCM keeps no log we may ask: nothing is known, so an unknown outcome is resent (its tag collapses it)."""
        return {}

    def pull_reports(self, channel: str, *, limit: int = 1000) -> list[StatusReport]:
        return []  # FCM sends no delivery reports to the server

    def close(self) -> None:
        self._sessions.close()

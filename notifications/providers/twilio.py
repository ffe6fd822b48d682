"""Twilio's Messages API as the second SMS provider, over ``requests`` (one pooled session per process).

Why not Twilio's SDK: it builds its own HTTP client around a fixed ``api.twilio.com`` host, so it cannot be pointed
at the bundled sandbox for tests and ``make run`` without patching it; the API itself is one form-encoded POST
(``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``: ``To``, ``From`` or ``MessagingServiceSid``, ``Body``,
``StatusCallback``, ``ValidityPeriod``; Basic auth with the Account SID and auth token; answer 201 with the Message
resource). Shapes: tests/fixtures/twilio_messages_api_schema.json, from Twilio's OpenAPI description.

Twilio takes one message per request, so a batch goes out as parallel requests (``single.py``). Our message id
rides in the status callback's URL (``?m=op-123``), which Twilio signs (``X-Twilio-Signature``,
``notifications/webhooks/twilio.py``), so every status report names our message. Twilio's API has no lookup by an
id of ours: a request whose outcome is unknown is left to its status callback, never resent blind.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.urls import reverse
from requests.adapters import HTTPAdapter

from notifications.masking import mask_destination, mask_text
from notifications.providers.base import (
    RETRY,
    THROTTLED,
    UNKNOWN,
    BaseProvider,
    OutboundMessage,
    PermanentProviderError,
    RetryableProviderError,
    SendOptions,
    SendResult,
    StatusReport,
)
from notifications.providers.single import failed, send_each, transport_outcome

logger = logging.getLogger("notifications.providers.twilio")

API_VERSION = "2010-04-01"
VALIDITY_SECONDS = (1, 36000)  # Twilio's ValidityPeriod bounds


def status_callback_url(message_id: str) -> str:
    """Where Twilio posts this message's statuses; the query names our message and is covered by the signature."""
    return f"{settings.PORTAL_BASE_URL}{reverse('notifications:twilio_status')}?{urlencode({'m': message_id})}"


def request_form(message: OutboundMessage, options: SendOptions, *, sender: str) -> dict[str, str]:
    """The form of one Create Message request (a Messaging Service SID as sender goes in ``MessagingServiceSid``)."""
    form = {"To": message.destination, "Body": message.text, "StatusCallback": status_callback_url(message.message_id)}
    form["MessagingServiceSid" if sender.startswith("MG") else "From"] = sender
    if options.validity_minutes:
        low, high = VALIDITY_SECONDS
        form["ValidityPeriod"] = str(min(max(options.validity_minutes * 60, low), high))
    return form


class TwilioProvider(BaseProvider):
    """SMS through Twilio; settings (``TWILIO_*``) are read at call time so tests can point them at the sandbox."""

    name = "twilio"
    max_batch = {"sms": 1000}

    def __init__(self, *, concurrency: int | None = None) -> None:
        self._concurrency = concurrency
        self._session: requests.Session | None = None
        self._session_pid = 0
        self._lock = threading.Lock()

    @property
    def timeout(self) -> tuple[float, float]:
        return (settings.INFOBIP_TIMEOUT_CONNECT, settings.INFOBIP_TIMEOUT_READ)

    def longest_request(self) -> float:
        connect, read = self.timeout
        return 2 * connect + read

    @property
    def session(self) -> requests.Session:
        if self._session is None or self._session_pid != os.getpid():
            with self._lock:
                if self._session is None or self._session_pid != os.getpid():
                    session = requests.Session()
                    size = max(4, int(self._concurrency or settings.TWILIO_CONCURRENCY))
                    adapter = HTTPAdapter(pool_connections=2, pool_maxsize=size, max_retries=0)
                    session.mount("http://", adapter)
                    session.mount("https://", adapter)
                    session.auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
                    session.headers.update({"Accept": "application/json", "User-Agent": "outage-portal/1"})
                    self._session, self._session_pid = session, os.getpid()
        return self._session

    def close(self) -> None:
        if self._session is not None and self._session_pid == os.getpid():
            self._session.close()
        self._session = None

    def send(self, channel: str, messages: list[OutboundMessage], options: SendOptions) -> list[SendResult]:
        if channel != "sms":
            raise PermanentProviderError(f"Twilio carries SMS only, not {channel}", code="UNKNOWN_CHANNEL")
        url = f"{str(settings.TWILIO_BASE_URL).rstrip('/')}/{API_VERSION}/Accounts/{settings.TWILIO_ACCOUNT_SID}"
        url += "/Messages.json"
        sender = str(settings.TWILIO_FROM)

        def one(message: OutboundMessage) -> SendResult:
            return self._send_one(url, message, request_form(message, options, sender=sender))

        concurrency = int(self._concurrency or settings.TWILIO_CONCURRENCY)
        results = send_each(list(messages), one, not_after=options.not_after, concurrency=concurrency, name="twilio")
        accepted = sum(1 for result in results if result.accepted)
        logger.info("twilio sms: %d messages sent, %d accepted", len(results), accepted)
        return results

    def _send_one(self, url: str, message: OutboundMessage, form: dict[str, str]) -> SendResult:
        try:
            response = self.session.post(url, data=form, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as err:
            outcome = transport_outcome(err)
            logger.warning("twilio sms: %s (%s)", type(err).__name__, outcome)
            return failed(message, outcome, type(err).__name__.upper())
        answer = _json(response)
        if response.status_code in (200, 201):
            sid = str(answer.get("sid") or "")
            if not sid:  # a 2xx without the resource: it may have been created
                return failed(message, UNKNOWN, "BAD_RESPONSE", "201 without a message sid")
            return SendResult(
                message_id=message.message_id,
                accepted=True,
                provider_message_id=sid[:200],
                status_name=str(answer.get("status") or "").upper()[:64],
                parts=_int(answer.get("num_segments")),
            )
        code = str(answer.get("code") or "")
        text = mask_text(str(answer.get("message") or ""))
        status = response.status_code
        if status == 429:
            return failed(message, THROTTLED, code, text, status)
        if status >= 500:
            return failed(message, UNKNOWN, code, text, status)
        if status == 408:
            return failed(message, RETRY, code, text, status)
        logger.warning("twilio sms: %s refused (%d %s)", mask_destination(message.destination), status, code)
        return failed(message, "", code, text, status)

    def lookup(self, channel: str, message_ids: list[str]) -> dict[str, StatusReport]:
        """Twilio cannot be asked about our ids: the rows wait for their status callbacks instead (never resent)."""
        raise RetryableProviderError("Twilio has no lookup by our message id", code="NO_LOOKUP")

    def pull_reports(self, channel: str, *, limit: int = 1000) -> list[StatusReport]:
        """Twilio pushes every status (``StatusCallback``); there is nothing to pull."""
        return []


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _int(value: object) -> int:
    try:
        return max(0, min(int(str(value)), 32767))
    except ValueError:
        return 0

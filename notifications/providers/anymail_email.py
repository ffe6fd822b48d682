"""Postmark through django-anymail as the second email provider (``EMAIL_SECONDARY_PROVIDER=postmark``).

Why anymail: it is the maintained client for Postmark (and for SES, Mailgun, SendGrid, Brevo…), so the portal
builds Django email messages and anymail speaks the API. Its Postmark backend is used directly, never as
``EMAIL_BACKEND`` (staff mail keeps its own backend), and pointed at ``POSTMARK_API_URL`` (anymail's
``POSTMARK_API_URL`` setting), which is how the bundled sandbox plays Postmark. Each email carries our message id in
its Postmark ``Metadata`` (``message_id``): Postmark's Delivery and Bounce webhooks return it
(``notifications/webhooks/postmark.py``), and its outbound-message search finds a message by it, which is the
lookup a request with an unknown outcome gets before any resend. Postmark takes one message per request, so a
batch goes out as parallel requests (``single.py``).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import requests
from anymail.exceptions import AnymailError, AnymailRecipientsRefused, AnymailRequestsAPIError
from anymail.message import AnymailMessage
from django.conf import settings
from django.core.mail import get_connection

from notifications.masking import mask_text
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

logger = logging.getLogger("notifications.providers.postmark")
BACKEND = "anymail.backends.postmark.EmailBackend"
CONCURRENCY = 8


class AnymailEmailProvider(BaseProvider):
    name = "postmark"
    max_batch = {"email": 1000}

    def __init__(self) -> None:
        self._local = threading.local()

    @property
    def timeout(self) -> tuple[float, float]:
        return (settings.INFOBIP_TIMEOUT_CONNECT, settings.INFOBIP_TIMEOUT_READ)

    def longest_request(self) -> float:
        connect, read = self.timeout
        return 2 * connect + read

    def _backend(self) -> Any:
        """One open anymail backend (and its pooled session) per thread."""
        backend = getattr(self._local, "backend", None)
        if backend is None:
            backend = get_connection(  # anymail's POSTMARK_SERVER_TOKEN and POSTMARK_API_URL settings
                BACKEND,
                fail_silently=False,
                timeout=self.timeout,
                server_token=settings.POSTMARK_SERVER_TOKEN,
                api_url=str(settings.POSTMARK_API_URL).rstrip("/") + "/",
            )
            backend.open()
            self._local.backend = backend
        return backend

    def send(self, channel: str, messages: list[OutboundMessage], options: SendOptions) -> list[SendResult]:
        if channel != "email":
            raise PermanentProviderError(f"Postmark carries email only, not {channel}", code="UNKNOWN_CHANNEL")
        sender = str(settings.POSTMARK_FROM or settings.INFOBIP_EMAIL_SENDER)
        results = send_each(
            list(messages),
            lambda message: self._send_one(message, sender),
            not_after=options.not_after,
            concurrency=CONCURRENCY,
            name="postmark",
        )
        logger.info("postmark email: %d sent, %d accepted", len(results), sum(r.accepted for r in results))
        return results

    def _send_one(self, message: OutboundMessage, sender: str) -> SendResult:
        email = AnymailMessage(
            subject=message.subject,
            body=message.text,
            from_email=sender,
            to=[message.destination],
            headers=dict(message.headers),
            metadata={"message_id": message.message_id},
            esp_extra={"MessageStream": settings.POSTMARK_MESSAGE_STREAM},
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        try:
            self._backend().send_messages([email])
        except AnymailRecipientsRefused as err:
            return failed(message, "", "RECIPIENT_REFUSED", mask_text(str(err)))
        except AnymailRequestsAPIError as err:
            return _api_failure(message, err)
        except AnymailError as err:  # an answer anymail could not read: the email may have been sent
            return failed(message, UNKNOWN, "BAD_RESPONSE", mask_text(str(err)))
        status = email.anymail_status
        return SendResult(
            message_id=message.message_id,
            accepted=True,
            provider_message_id=str(status.message_id or "")[:200],
            status_name=str(next(iter(status.status or {"sent"}))).upper()[:64],
        )

    def lookup(self, channel: str, message_ids: list[str]) -> dict[str, StatusReport]:
        """Postmark's outbound-message search by our ``message_id`` metadata; absent ids were never received."""
        url = str(settings.POSTMARK_API_URL).rstrip("/") + "/messages/outbound"
        headers = {"Accept": "application/json", "X-Postmark-Server-Token": str(settings.POSTMARK_SERVER_TOKEN)}
        found: dict[str, StatusReport] = {}
        for message_id in dict.fromkeys(message_ids):
            params = {"count": "1", "offset": "0", "metadata_message_id": message_id}
            try:
                response = requests.get(url, params=params, headers=headers, timeout=self.timeout)
                data = response.json() if response.status_code == 200 else None
            except (requests.RequestException, ValueError) as err:
                raise RetryableProviderError(f"postmark search: {type(err).__name__}", code="LOOKUP") from err
            if not isinstance(data, dict):
                raise RetryableProviderError(f"postmark search: HTTP {response.status_code}", code="LOOKUP")
            if data.get("Messages"):
                found[message_id] = StatusReport(message_id=message_id, status_group="PENDING", status_name="SENT")
        return found

    def pull_reports(self, channel: str, *, limit: int = 1000) -> list[StatusReport]:
        """Postmark pushes Delivery and Bounce webhooks; there is nothing to pull."""
        return []


def _api_failure(message: OutboundMessage, err: AnymailRequestsAPIError) -> SendResult:
    status = err.status_code
    if status is None:  # a transport error: anymail's exception is also the requests one it wraps
        return failed(message, transport_outcome(err.__cause__ or err), type(err.__cause__ or err).__name__.upper())
    text = mask_text(str(getattr(err, "response", None) and err.response.text or "")[:300])
    if status == 429:
        return failed(message, THROTTLED, "", text, status)
    if status >= 500:
        return failed(message, UNKNOWN, "", text, status)
    if status == 408:
        return failed(message, RETRY, "", text, status)
    return failed(message, "", "", text, status)

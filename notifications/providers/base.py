"""The small provider interface the dispatch engine talks to.

A provider sends a batch of fully rendered messages in as few HTTP requests as it can, each message carrying our
own ``message_id``, and answers per message. Another channel (Viber, WhatsApp) or provider is one more module that
implements this class; ``settings.NOTIFICATIONS_PROVIDER`` names the one in use, as ``EMAIL_BACKEND`` does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class ProviderError(Exception):
    """Base class: something went wrong talking to the provider."""

    def __init__(self, message: str, *, http_status: int | None = None, code: str = "") -> None:
        super().__init__(message)
        self.http_status = http_status
        self.code = code


class PermanentProviderError(ProviderError):
    """400-class validation, 401/403: retrying the same request cannot succeed.

    ``violations`` maps a property path to its complaint when the provider says which field was wrong; the engine
    splits a rejected batch to find the messages it concerns.
    """

    def __init__(
        self, message: str, *, http_status: int | None = None, code: str = "", violations: list[dict] | None = None
    ) -> None:
        super().__init__(message, http_status=http_status, code=code)
        self.violations = violations or []

    @property
    def is_configuration(self) -> bool:
        """401/403: the key or its scopes are wrong; every message would fail the same way."""
        return self.http_status in (401, 403)


class RetryableProviderError(ProviderError):
    """The request was certainly not accepted (connection refused, 5xx with an error body, 429): send it again."""

    def __init__(
        self, message: str, *, http_status: int | None = None, code: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, http_status=http_status, code=code)
        self.retry_after = retry_after


class ThrottledProviderError(RetryableProviderError):
    """429: wait ``retry_after`` (or back off); it burns no attempt."""


class NotSentError(RetryableProviderError):
    """The request was not made: ``SendOptions.not_after`` had passed when it was about to start.

    The claim's lease could no longer outlast the request (the worker stalled after its last check); the rows go
    back, the attempt refunded, and nothing reached the provider.
    """


class AmbiguousProviderError(ProviderError):
    """The request may have been accepted (read timeout, reset after sending, 500 after the body went out).

    Nothing may be resent until the provider's logs have been asked, by our message id, what they received.
    """


@dataclass(frozen=True)
class OutboundMessage:
    """One rendered message for one destination."""

    message_id: str
    channel: str  # a name in notifications.channels.CHANNELS
    destination: str
    text: str
    subject: str = ""
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    callback_data: str = ""
    language: str = ""
    #: A WhatsApp template approved at Meta and its placeholder values, in order ("" / () for free text).
    template: str = ""
    placeholders: tuple[str, ...] = ()


@dataclass(frozen=True)
class SendOptions:
    """What applies to the whole batch."""

    report_url: str = ""
    reference: str = ""  # campaignReferenceId
    bulk_id: str = ""
    #: ``time.monotonic()`` after which no request of this batch may start (0: no limit); see ``NotSentError``.
    not_after: float = 0.0
    #: Minutes the provider may still try to deliver (0: its own default); Infobip SMS ``validityPeriod``.
    validity_minutes: int = 0


@dataclass(frozen=True)
class SendResult:
    """The provider's answer for one message of a batch."""

    message_id: str
    accepted: bool
    provider_message_id: str = ""
    bulk_id: str = ""
    status_group: str = ""
    status_name: str = ""
    parts: int = 0
    error_code: str = ""
    error_text: str = ""
    #: A resend the provider recognised as a copy of a message it already accepted (idempotent sending): it has
    #: the message, from an earlier attempt, and sends no second copy.
    duplicate: bool = False
    #: For providers that send one request per message (Twilio, Postmark through anymail): "" when the answer
    #: decided it, ``RETRY`` (certainly not received), ``UNKNOWN`` (may have been received: look it up first),
    #: ``UNSENT`` (never started: the fence's deadline had passed) or ``THROTTLED`` (429).
    outcome: str = ""


RETRY, UNKNOWN, UNSENT, THROTTLED = "retry", "unknown", "unsent", "throttled"


@dataclass(frozen=True)
class StatusReport:
    """A delivery status for one message, from a webhook, a pulled report or a log lookup."""

    message_id: str
    status_group: str  # PENDING, DELIVERED, UNDELIVERABLE, EXPIRED, REJECTED (Infobip's groups)
    status_name: str = ""
    error_name: str = ""
    error_text: str = ""
    done_at: datetime | None = None
    parts: int = 0
    raw: dict = field(default_factory=dict)
    #: The provider's rejection of a resent copy (idempotent sending), not news about the message itself.
    duplicate: bool = False


class BaseProvider:
    """Sends batches and answers questions about what it received."""

    name = "base"
    #: Largest number of messages one request may carry, per channel.
    max_batch = {"sms": 1000, "email": 1000, "viber": 1000, "whatsapp": 1000}

    def longest_request(self) -> float:
        """Seconds one send request may take at most, from its start until it is answered or given up."""
        return 0.0

    def send(self, channel: str, messages: list[OutboundMessage], options: SendOptions) -> list[SendResult]:
        """Send one batch on one channel; one result per message, in any order.

        Raises ``RetryableProviderError`` / ``ThrottledProviderError`` when nothing was accepted,
        ``PermanentProviderError`` when the request itself is wrong, ``AmbiguousProviderError`` when it may
        have been accepted.
        """
        raise NotImplementedError

    def lookup(self, channel: str, message_ids: list[str]) -> dict[str, StatusReport]:
        """What the provider's logs know of these messages, by our message id; absent ids were never received."""
        raise NotImplementedError

    def pull_reports(self, channel: str, *, limit: int = 1000) -> list[StatusReport]:
        """Delivery reports not yet fetched (each report is returned once by the provider)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release pooled connections."""

"""Providers that take one message per request (Twilio, Postmark through anymail): a batch as parallel requests.

Why shared: both must give every message of a batch the same care the Infobip client gives a whole request. Each
request starts only before the fence's deadline (``SendOptions.not_after``; later ones are ``UNSENT``), and its
failure is read as Infobip's are: never connected → ``RETRY``, a read timeout, a reset after sending or a 5xx →
``UNKNOWN`` (looked up, or left to its report, before any resend). When every message of a batch failed the same
way the batch raises the provider error the engine already knows (and the breaker counts), else each message keeps
its own outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from notifications.providers.base import (
    RETRY,
    THROTTLED,
    UNKNOWN,
    UNSENT,
    AmbiguousProviderError,
    NotSentError,
    OutboundMessage,
    PermanentProviderError,
    RetryableProviderError,
    SendResult,
    ThrottledProviderError,
)


def transport_outcome(err: BaseException) -> str:
    """``RETRY`` when the request certainly never reached the provider, else ``UNKNOWN``."""
    if isinstance(err, requests.ConnectTimeout | requests.exceptions.SSLError):
        return RETRY
    if isinstance(err, requests.ConnectionError) and not isinstance(err, requests.ReadTimeout):
        reason = err.args[0] if err.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(reason, NewConnectionError | ConnectTimeoutError):
            return RETRY
    return UNKNOWN


def failed(message: OutboundMessage, outcome: str, code: str, text: str = "", status: int | None = None) -> SendResult:
    """A message whose request did not decide it (``outcome``), or that the provider refused (``outcome`` "")."""
    return SendResult(
        message_id=message.message_id,
        accepted=False,
        error_code=code if not status else f"{code or 'HTTP'} {status}".strip(),
        error_text=text[:500],
        outcome=outcome,
    )


def send_each(
    messages: list[OutboundMessage],
    one: Callable[[OutboundMessage], SendResult],
    *,
    not_after: float,
    concurrency: int,
    name: str,
) -> list[SendResult]:
    """``one(message)`` for every message, ``concurrency`` at a time; each starts only before ``not_after``."""

    def guarded(message: OutboundMessage) -> SendResult:
        if not_after and time.monotonic() > not_after:
            return failed(message, UNSENT, "LEASE", "not sent: the claim's lease could not outlast the request")
        return one(message)

    if len(messages) <= 1 or concurrency <= 1:
        results = [guarded(message) for message in messages]
    else:
        with ThreadPoolExecutor(max_workers=min(concurrency, len(messages)), thread_name_prefix=name) as pool:
            results = list(pool.map(guarded, messages))
    return verdict(results, name=name)


def verdict(results: list[SendResult], *, name: str) -> list[SendResult]:
    """The results, or the one provider error they all share (so the engine and the breaker see a batch failure)."""
    outcomes = {result.outcome for result in results}
    if not results or any(result.accepted for result in results) or len(outcomes) != 1:
        return results
    first = results[0]
    message = f"{name}: {len(results)} request(s) failed: {first.error_code} {first.error_text}".strip()
    status = _status_of(first.error_code)
    if outcomes == {UNSENT}:
        raise NotSentError(message, code="LEASE")
    if outcomes == {RETRY}:
        raise RetryableProviderError(message, http_status=status, code=first.error_code)
    if outcomes == {UNKNOWN}:
        raise AmbiguousProviderError(message, http_status=status, code=first.error_code)
    if outcomes == {THROTTLED}:
        raise ThrottledProviderError(message, http_status=429, code=first.error_code)
    if status in (401, 403):  # the credentials are wrong: every message would fail the same way
        raise PermanentProviderError(message, http_status=status, code=first.error_code)
    return results


def _status_of(code: str) -> int | None:
    tail = code.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() and len(tail) == 3 else None

"""What the two push providers share: one request per device, in parallel, and what a batch of them means.

Why this shape: a push message goes to every live device of its client (clients/push_models.py), one HTTP request
each. A message is accepted when one of its devices' services accepted it (201 from a web push service, 200 from
FCM); rejected when every device is gone or refused it; and left out of the results — which the engine reads as
"unknown, look it up before resending" (``deliver._decide_results``) — when a device's request may or may not have
arrived (timeout, 5xx, 429). Push services have no lookup, so that row is resent after its lease; the notification
``tag`` (and web push ``Topic``) makes the copy replace the first. When every request of a batch failed the same
way the batch raises the provider error the engine already knows.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from notifications.providers.base import (
    AmbiguousProviderError,
    NotSentError,
    OutboundMessage,
    RetryableProviderError,
    SendResult,
    ThrottledProviderError,
)

OK, GONE, REFUSED, THROTTLED, UNKNOWN, RETRY, UNSENT = (
    "ok",
    "gone",
    "refused",
    "throttled",
    "unknown",
    "retry",
    "unsent",
)
D = TypeVar("D")


@dataclass(frozen=True)
class DeviceOutcome:
    """One device's request: its outcome, the provider's id for it, and a short error (no address, no token)."""

    outcome: str
    provider_id: str = ""
    error: str = ""


def transport_outcome(err: requests.RequestException) -> str:
    """``RETRY`` when the request certainly never reached the service, else ``UNKNOWN``."""
    if isinstance(err, requests.ConnectTimeout | requests.exceptions.SSLError):
        return RETRY
    if isinstance(err, requests.ConnectionError) and not isinstance(err, requests.ReadTimeout):
        reason = err.args[0] if err.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(reason, NewConnectionError | ConnectTimeoutError):
            return RETRY
    return UNKNOWN


class SessionHolder:
    """A pooled ``requests.Session`` per process (created again in a forked child)."""

    def __init__(self, pool_size: int = 16) -> None:
        self._session: requests.Session | None = None
        self._pid = 0
        self._pool_size = pool_size
        self._lock = threading.Lock()

    def get(self) -> requests.Session:
        if self._session is None or self._pid != os.getpid():
            with self._lock:
                if self._session is None or self._pid != os.getpid():
                    session = requests.Session()
                    session.max_redirects = 0  # a redirect could lead anywhere (SSRF): it is refused, not followed
                    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=self._pool_size, max_retries=0)
                    session.mount("http://", adapter)
                    session.mount("https://", adapter)
                    self._session, self._pid = session, os.getpid()
        return self._session

    def close(self) -> None:
        if self._session is not None and self._pid == os.getpid():
            self._session.close()
        self._session = None


def send_to_devices(
    work: list[tuple[OutboundMessage, D]],
    one: Callable[[OutboundMessage, D], DeviceOutcome],
    *,
    not_after: float,
    concurrency: int,
) -> list[tuple[OutboundMessage, D, DeviceOutcome]]:
    """``one(message, device)`` for every pair, ``concurrency`` at a time; none starts after ``not_after``."""

    def guarded(pair: tuple[OutboundMessage, D]) -> tuple[OutboundMessage, D, DeviceOutcome]:
        if not_after and time.monotonic() > not_after:
            return pair[0], pair[1], DeviceOutcome(UNSENT, error="not sent: the lease could not outlast it")
        return pair[0], pair[1], one(*pair)

    if len(work) <= 1 or concurrency <= 1:
        return [guarded(pair) for pair in work]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(work)), thread_name_prefix="push") as pool:
        return list(pool.map(guarded, work))


def message_results(
    messages: list[OutboundMessage], done: list[tuple[OutboundMessage, D, DeviceOutcome]], *, name: str
) -> list[SendResult]:
    """Per message: accepted by one device, rejected by all, or left out (unknown); see the module's docstring."""
    by_message: dict[str, list[DeviceOutcome]] = {message.message_id: [] for message in messages}
    for message, _device, outcome in done:
        by_message[message.message_id].append(outcome)
    results: list[SendResult] = []
    undecided: set[str] = set()
    for message_id, outcomes in by_message.items():
        accepted = [outcome for outcome in outcomes if outcome.outcome == OK]
        if accepted:
            results.append(SendResult(message_id, True, provider_message_id=accepted[0].provider_id[:100]))
        elif all(outcome.outcome in (GONE, REFUSED) for outcome in outcomes):
            code = "NO_DEVICE" if not outcomes else ("GONE" if outcomes[0].outcome == GONE else "REFUSED")
            text = "; ".join(sorted({outcome.error for outcome in outcomes if outcome.error}))[:500]
            results.append(
                SendResult(message_id, False, status_group="REJECTED", error_code=code, error_text=text or code)
            )
        else:
            undecided.update(outcome.outcome for outcome in outcomes if outcome.outcome not in (GONE, REFUSED))
    if results or not undecided:
        return results
    summary = f"{name}: no device of {len(messages)} message(s) answered ({', '.join(sorted(undecided))})"
    if undecided == {UNSENT}:
        raise NotSentError(summary, code="LEASE")
    if undecided <= {RETRY, UNSENT}:
        raise RetryableProviderError(summary, code="CONNECTION_FAILED")
    if undecided == {THROTTLED}:
        raise ThrottledProviderError(summary, http_status=429, code="THROTTLED")
    raise AmbiguousProviderError(summary, code="UNKNOWN")


def push_finish(
    messages: list[OutboundMessage],
    work: list[tuple[OutboundMessage, D]],
    done: list[tuple[OutboundMessage, D, DeviceOutcome]],
    *,
    name: str,
    started: float,
    mark_gone: Callable[[list[int]], object],
) -> list[SendResult]:
    """After a batch: retire the devices the service called gone (their first field is the row's id), log one line
    (counts, no addresses) and give each message its result."""
    gone = [int(device[0]) for _message, device, outcome in done if outcome.outcome == GONE]  # type: ignore[index]
    if gone:
        mark_gone(gone)
    logging.getLogger(f"notifications.providers.{name}").info(
        "%s: %d message(s) to %d device(s), %d accepted, %d gone, in %.0f ms",
        name,
        len(messages),
        len(work),
        sum(1 for *_rest, outcome in done if outcome.outcome == OK),
        len(gone),
        (time.monotonic() - started) * 1000,
    )
    return message_results(messages, done, name=name)

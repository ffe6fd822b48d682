"""Infobip over HTTP: one pooled ``requests.Session`` per process, every transport failure given a meaning.

API facts and sources: docs/infobip.md. Sends go out in requests of at most ``max_batch`` messages (bodies:
``bodies.py``); a 2xx answer is read per message and an error status mapped onto the provider errors
(``answers.py``); log lookups and pulled reports are read by the one report parser (``reports.py``). A POST that may
have reached Infobip (read timeout, reset after sending, 5xx) is ambiguous; a GET is idempotent, so the same failures
are merely retryable.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from typing import Any, TypeVar

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from notifications import channels as registry
from notifications.providers.base import (
    AmbiguousProviderError,
    BaseProvider,
    NotSentError,
    OutboundMessage,
    PermanentProviderError,
    ProviderError,
    RetryableProviderError,
    SendOptions,
    SendResult,
    StatusReport,
)
from notifications.providers.infobip.answers import send_results, status_error
from notifications.providers.infobip.reports import ReportError, report_from_result

logger = logging.getLogger("notifications.providers.infobip")

NON_FINAL_GROUPS = frozenset({"", "ACCEPTED", "PENDING"})
LOOKUP_CHUNK = 100
LOGS_LIMIT = 1000
POOL_SIZE = 16
T = TypeVar("T")


def _never_connected(err: requests.ConnectionError) -> bool:
    """True when the TCP connection never opened (refused, DNS), so the request cannot have been received."""
    reason = err.args[0] if err.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _reports(data: dict[str, Any], where: str) -> Iterator[StatusReport]:
    """The readable entries of a logs or reports answer; an entry without a message id is skipped (and logged)."""
    for result in data.get("results") or []:
        try:
            yield report_from_result(result)
        except ReportError as problem:
            logger.warning("infobip %s: skipped a result entry (%s)", where, problem)


class InfobipProvider(BaseProvider):
    """Infobip's SMS, email and Messages APIs on one pooled ``requests.Session`` per process.

    Each channel's endpoints, request body and sender come from its module (``notifications.channels``).

    Settings are read at call time (``INFOBIP_*``), so tests that point them at the sandbox need no new instance;
    constructor arguments override them (benchmarks, scripts).
    """

    name = "infobip"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        sms_sender: str | None = None,
        email_sender: str | None = None,
        timeout: tuple[float, float] | None = None,
        pool_size: int = POOL_SIZE,
        idempotent_channels: frozenset[str] | None = None,
    ) -> None:
        self._base_url = base_url
        self._api_key = api_key
        self._sms_sender = sms_sender
        self._email_sender = email_sender
        self._timeout = timeout
        self._pool_size = pool_size
        self._idempotent_channels = idempotent_channels
        self._session: requests.Session | None = None
        self._session_pid = 0
        #: Each channel's cap per request (its module's): SMS has none documented, email 1,000 (docs/infobip.md).
        self.max_batch = {name: spec.max_batch for name, spec in registry.CHANNELS.items()}
        self._lock = threading.Lock()

    # Configuration ------------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return str(self._base_url or settings.INFOBIP_BASE_URL).rstrip("/")

    @property
    def timeout(self) -> tuple[float, float]:
        return self._timeout or (settings.INFOBIP_TIMEOUT_CONNECT, settings.INFOBIP_TIMEOUT_READ)

    def longest_request(self) -> float:
        """Connect, then write the body (under the connect timeout too, as urllib3 does), then wait for the answer."""
        connect, read = self.timeout
        return 2 * connect + read

    def idempotent(self, channel: str) -> bool:
        """Whether Infobip rejects a resent messageId on this channel (``INFOBIP_IDEMPOTENT_CHANNELS``)."""
        if self._idempotent_channels is not None:
            return channel in self._idempotent_channels
        return channel in settings.INFOBIP_IDEMPOTENT_CHANNELS

    def _sender(self, channel: str) -> str:
        override = {"sms": self._sms_sender, "email": self._email_sender}.get(channel)
        return str(override or registry.channel_spec(channel).sender())

    @property
    def session(self) -> requests.Session:
        """The pooled session, created again in a forked child (sockets must not be shared across processes)."""
        if self._session is None or self._session_pid != os.getpid():
            with self._lock:
                if self._session is None or self._session_pid != os.getpid():
                    session = requests.Session()
                    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=self._pool_size, max_retries=0)
                    session.mount("http://", adapter)
                    session.mount("https://", adapter)
                    session.headers.update({"Accept": "application/json", "User-Agent": "outage-portal/1"})
                    self._session, self._session_pid = session, os.getpid()
        return self._session

    def close(self) -> None:
        if self._session is not None and self._session_pid == os.getpid():
            self._session.close()
        self._session = None

    # Interface ----------------------------------------------------------------------------------------------------

    def send(self, channel: str, messages: list[OutboundMessage], options: SendOptions) -> list[SendResult]:
        """Send in requests of at most ``max_batch`` messages.

        When a later request fails after earlier ones were accepted, the whole call is ambiguous: the engine
        looks every message up rather than resending the accepted ones.
        """
        if channel not in registry.CHANNELS:
            raise PermanentProviderError(f"Unknown channel {channel!r}", code="UNKNOWN_CHANNEL")
        results: list[SendResult] = []
        for chunk in _chunks(list(messages), self.max_batch[channel]):
            try:
                results.extend(self._send_chunk(channel, chunk, options))
            except ProviderError as err:
                if not results:
                    raise
                raise AmbiguousProviderError(
                    f"{len(results)} messages were accepted before a later request failed: {err}",
                    http_status=err.http_status,
                    code=err.code,
                ) from err
        return results

    def lookup(self, channel: str, message_ids: list[str]) -> dict[str, StatusReport]:
        """Ask the message logs, 100 ids per call; a message logged twice reports its most advanced status.

        An entry for a rejected resend (idempotent sending) still proves Infobip has the message, but says nothing
        about its delivery: any other entry for the same id wins over it.
        """
        found: dict[str, StatusReport] = {}
        path = registry.channel_spec(channel).route.log_path
        if not path:  # never resend without an answer: the rows wait for their delivery reports instead
            raise RetryableProviderError(f"Infobip has no log lookup for {channel}", code="NO_LOOKUP")
        for chunk in _chunks(list(dict.fromkeys(message_ids)), LOOKUP_CHUNK):
            params = [("messageId", message_id) for message_id in chunk] + [("limit", str(LOGS_LIMIT))]
            for report in _reports(self._request("GET", path, params=params), "logs"):
                known = found.get(report.message_id)
                if (
                    known is None
                    or known.duplicate
                    or (known.status_group in NON_FINAL_GROUPS and not report.duplicate)
                ):
                    found[report.message_id] = report
        return found

    def pull_reports(self, channel: str, *, limit: int = 1000) -> list[StatusReport]:
        route = registry.channel_spec(channel).route
        params = [*route.report_params, ("limit", str(max(1, min(limit, 1000))))]
        data = self._request("GET", route.report_path, params=params)
        return list(_reports(data, "reports"))

    # Internals ----------------------------------------------------------------------------------------------------

    def _send_chunk(self, channel: str, messages: list[OutboundMessage], options: SendOptions) -> list[SendResult]:
        spec = registry.channel_spec(channel)
        body = spec.request_body(messages, options, sender=self._sender(channel))
        started = time.monotonic()
        data = self._request("POST", spec.route.send_path, body=body, not_after=options.not_after)
        results = send_results(channel, messages, data, idempotent=self.idempotent(channel))
        rejected = [result for result in results if not result.accepted]
        logger.info(
            "infobip %s: %d messages sent, %d accepted, %d rejected in %.0f ms",
            channel,
            len(results),
            len(results) - len(rejected),
            len(rejected),
            (time.monotonic() - started) * 1000,
        )
        return results

    def _request(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: list[tuple[str, str]] | None = None,
        not_after: float = 0.0,
    ) -> dict[str, Any]:
        """One HTTP call, every transport error and non-2xx answer mapped onto the provider error classes.

        A POST that may have reached Infobip (read timeout, reset after sending, 5xx) is ambiguous; a GET is
        idempotent, so the same failures are merely retryable. ``not_after`` is checked last thing before the
        request starts, after the body is encoded: past it, nothing is sent (``NotSentError``).
        """
        sent_may_count = method == "POST"
        headers = {"Authorization": f"App {self._api_key or settings.INFOBIP_API_KEY}"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        where = f"{method} {path}"
        if not_after and time.monotonic() > not_after:
            raise NotSentError(f"{where}: not sent, the claim's lease could not outlast the request", code="LEASE")
        try:
            response = self.session.request(
                method,
                self.base_url + path,
                data=data,
                params=params,
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.ConnectTimeout as err:
            raise self._transport_error(RetryableProviderError, f"{where}: connect timeout", "CONNECT_TIMEOUT") from err
        except requests.ReadTimeout as err:
            cls = AmbiguousProviderError if sent_may_count else RetryableProviderError
            raise self._transport_error(cls, f"{where}: read timeout", "READ_TIMEOUT") from err
        except requests.ConnectionError as err:
            if _never_connected(err) or isinstance(err, requests.exceptions.SSLError):
                raise self._transport_error(
                    RetryableProviderError, f"{where}: cannot connect", "CONNECTION_FAILED"
                ) from err
            cls = AmbiguousProviderError if sent_may_count else RetryableProviderError
            raise self._transport_error(cls, f"{where}: connection lost after sending", "CONNECTION_LOST") from err
        except requests.RequestException as err:
            cls = AmbiguousProviderError if sent_may_count else RetryableProviderError
            raise self._transport_error(cls, f"{where}: {type(err).__name__}", "TRANSPORT_ERROR") from err
        if 200 <= response.status_code < 300:
            try:
                payload = response.json()
            except ValueError as err:
                cls = AmbiguousProviderError if sent_may_count else RetryableProviderError
                raise self._transport_error(
                    cls, f"{where}: answer is not JSON", "BAD_RESPONSE", response.status_code
                ) from err
            return payload if isinstance(payload, dict) else {}
        try:
            answer = response.json()
        except ValueError:
            answer = None
        raise status_error(
            where, response.status_code, answer, response.headers.get("Retry-After"), sent_may_count=sent_may_count
        )

    @staticmethod
    def _transport_error(
        cls: type[ProviderError], message: str, code: str, http_status: int | None = None
    ) -> ProviderError:
        logger.warning("infobip %s", message)
        return cls(message, http_status=http_status, code=code)

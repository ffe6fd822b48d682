"""Infobip over HTTP: SMS through ``/sms/3/messages``, email through ``/email/4/messages`` (JSON, latest API).

API facts and sources: docs/infobip.md. Every message carries our own ``messageId`` so delivery reports and log
lookups map back to our rows, and the error mapping tells the engine whether a request was certainly not
accepted (retry), may have been accepted (look the messages up before resending) or can never succeed.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError

from notifications.masking import mask_destination, mask_text
from notifications.providers.base import (
    AmbiguousProviderError,
    BaseProvider,
    OutboundMessage,
    PermanentProviderError,
    ProviderError,
    RetryableProviderError,
    SendOptions,
    SendResult,
    StatusReport,
    ThrottledProviderError,
)

__all__ = ["InfobipProvider", "mask_destination", "report_from_result", "sms_request_body", "email_request_body"]

logger = logging.getLogger(__name__)

SEND_PATHS = {"sms": "/sms/3/messages", "email": "/email/4/messages"}
LOG_PATHS = {"sms": "/sms/3/logs", "email": "/email/4/logs"}
REPORT_PATHS = {"sms": "/sms/3/reports", "email": "/email/4/reports"}
#: Infobip's status groups by id (docs/infobip.md §4.4).
STATUS_GROUPS = {0: "ACCEPTED", 1: "PENDING", 2: "UNDELIVERABLE", 3: "DELIVERED", 4: "EXPIRED", 5: "REJECTED"}
NOT_ACCEPTED_GROUPS = frozenset({"REJECTED", "UNDELIVERABLE", "EXPIRED"})
NON_FINAL_GROUPS = frozenset({"", "ACCEPTED", "PENDING"})
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 413, 422})
LOOKUP_CHUNK = 100
LOGS_LIMIT = 1000
RETRY_AFTER_CAP = 600.0
POOL_SIZE = 16


# Request bodies ---------------------------------------------------------------------------------------------------


def _webhooks(message: OutboundMessage, options: SendOptions) -> dict:
    webhooks: dict = {}
    if options.report_url:
        webhooks["delivery"] = {"url": options.report_url}
        webhooks["contentType"] = "application/json"
    if message.callback_data:
        webhooks["callbackData"] = message.callback_data
    return webhooks


def _with_optional(entry: dict, message: OutboundMessage, options: SendOptions) -> dict:
    webhooks = _webhooks(message, options)
    if webhooks:
        entry["webhooks"] = webhooks
    if options.reference:
        entry["options"] = {"campaignReferenceId": options.reference}
    return entry


def sms_request_body(messages: Iterable[OutboundMessage], options: SendOptions, *, sender: str) -> dict:
    """One ``messages[]`` entry per message (each has its own rendered text), one destination each."""
    entries = [
        _with_optional(
            {
                "sender": sender,
                "destinations": [{"to": message.destination.lstrip("+"), "messageId": message.message_id}],
                "content": {"text": message.text},
            },
            message,
            options,
        )
        for message in messages
    ]
    request_options: dict = {"includeSmsCountInResponse": True}
    if options.bulk_id:
        request_options["schedule"] = {"bulkId": options.bulk_id}
    return {"messages": entries, "options": request_options}


def _email_content(message: OutboundMessage) -> dict:
    content: dict = {"subject": message.subject}
    if message.text:
        content["text"] = message.text
    if message.html:
        content["html"] = message.html
    if message.headers:
        content["headers"] = json.dumps(message.headers, ensure_ascii=False)
    return content


def email_request_body(messages: Iterable[OutboundMessage], options: SendOptions, *, sender: str) -> dict:
    """One message per recipient, each rendered on its own, carrying its custom headers (List-Unsubscribe)."""
    entries = [
        _with_optional(
            {
                "sender": sender,
                "destinations": [{"to": [{"destination": message.destination, "messageId": message.message_id}]}],
                "content": _email_content(message),
            },
            message,
            options,
        )
        for message in messages
    ]
    body: dict = {"messages": entries}
    if options.bulk_id:
        body["options"] = {"schedule": {"bulkId": options.bulk_id}}
    return body


# Responses, reports and errors ------------------------------------------------------------------------------------


def _group(status: dict) -> str:
    return status.get("groupName") or STATUS_GROUPS.get(status.get("groupId"), "")


def _parse_time(value: str | None) -> datetime | None:
    """Infobip writes ``2019-11-09T16:00:00.000+0100``; tolerate ISO variants too."""
    if not value:
        return None
    for parser in (lambda v: datetime.strptime(v, "%Y-%m-%dT%H:%M:%S.%f%z"), datetime.fromisoformat):
        try:
            return parser(value)
        except ValueError:
            continue
    return None


def report_from_result(result: dict) -> StatusReport:
    """One entry of a webhook's, a pulled report's or a log's ``results[]`` as a ``StatusReport``."""
    status = result.get("status") or {}
    error = result.get("error") or {}
    has_error = bool(error) and error.get("id", 0) != 0 and error.get("name") != "NO_ERROR"
    return StatusReport(
        message_id=str(result.get("messageId", "")),
        status_group=_group(status),
        status_name=status.get("name", ""),
        error_name=error.get("name", "") if has_error else "",
        error_text=error.get("description", "") if has_error else "",
        done_at=_parse_time(result.get("doneAt")),
        parts=int(result.get("messageCount") or result.get("smsCount") or 0),
        raw=result,
    )


def parse_error_body(body: object) -> tuple[str, str, list[dict]]:
    """``(code, description, violations)`` from Infobip's new ``ApiError`` or its legacy ``requestError`` shape."""
    if not isinstance(body, dict):
        return "", "", []
    if "requestError" in body:
        exception = (body.get("requestError") or {}).get("serviceException") or {}
        violations = []
        for prop, complaints in (exception.get("validationErrors") or {}).items():
            for complaint in complaints if isinstance(complaints, list) else [complaints]:
                violations.append({"property": str(prop), "violation": str(complaint)})
        return str(exception.get("messageId", "")), str(exception.get("text", "")), violations
    violations = [
        {"property": str(item.get("property", "")), "violation": str(item.get("violation", ""))}
        for item in body.get("violations") or []
        if isinstance(item, dict)
    ]
    description = str(body.get("description", ""))
    if body.get("action"):
        description = f"{description} {body['action']}".strip()
    return str(body.get("errorCode", "")), description, violations


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds (delta or HTTP date), capped at ``RETRY_AFTER_CAP``; ``None`` when absent."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def _never_connected(err: requests.ConnectionError) -> bool:
    """True when the TCP connection never opened (refused, DNS), so the request cannot have been received."""
    reason = err.args[0] if err.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | ConnectTimeoutError)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# The provider -----------------------------------------------------------------------------------------------------


class InfobipProvider(BaseProvider):
    """Infobip's SMS and email APIs on one pooled ``requests.Session`` per process.

    Settings are read at call time (``INFOBIP_*``), so tests that point them at the sandbox need no new instance;
    constructor arguments override them (benchmarks, scripts).
    """

    name = "infobip"
    #: SMS has no documented cap per request; email allows 1,000 recipients per request (docs/infobip.md).
    max_batch = {"sms": 1000, "email": 1000}

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        sms_sender: str | None = None,
        email_sender: str | None = None,
        timeout: tuple[float, float] | None = None,
        pool_size: int = POOL_SIZE,
    ) -> None:
        self._base_url = base_url
        self._api_key = api_key
        self._sms_sender = sms_sender
        self._email_sender = email_sender
        self._timeout = timeout
        self._pool_size = pool_size
        self._session: requests.Session | None = None
        self._session_pid = 0
        self._lock = threading.Lock()

    # Configuration ------------------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return (self._base_url or settings.INFOBIP_BASE_URL).rstrip("/")

    @property
    def timeout(self) -> tuple[float, float]:
        return self._timeout or (settings.INFOBIP_TIMEOUT_CONNECT, settings.INFOBIP_TIMEOUT_READ)

    def _sender(self, channel: str) -> str:
        if channel == "sms":
            return self._sms_sender or settings.INFOBIP_SMS_SENDER
        return self._email_sender or settings.INFOBIP_EMAIL_SENDER

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
        if channel not in SEND_PATHS:
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
        """Ask the message logs, 100 ids per call; a message logged twice reports its most advanced status."""
        found: dict[str, StatusReport] = {}
        for chunk in _chunks(list(dict.fromkeys(message_ids)), LOOKUP_CHUNK):
            params = [("messageId", message_id) for message_id in chunk] + [("limit", str(LOGS_LIMIT))]
            data = self._request("GET", LOG_PATHS[channel], params=params)
            for result in data.get("results") or []:
                report = report_from_result(result)
                known = found.get(report.message_id)
                if known is None or known.status_group in NON_FINAL_GROUPS:
                    found[report.message_id] = report
        return found

    def pull_reports(self, channel: str, *, limit: int = 1000) -> list[StatusReport]:
        data = self._request("GET", REPORT_PATHS[channel], params=[("limit", str(max(1, min(limit, 1000))))])
        return [report_from_result(result) for result in data.get("results") or []]

    # Internals ----------------------------------------------------------------------------------------------------

    def _send_chunk(self, channel: str, messages: list[OutboundMessage], options: SendOptions) -> list[SendResult]:
        build = sms_request_body if channel == "sms" else email_request_body
        body = build(messages, options, sender=self._sender(channel))
        started = time.monotonic()
        data = self._request("POST", SEND_PATHS[channel], body=body)
        results = self._results(channel, messages, data)
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

    def _results(self, channel: str, messages: list[OutboundMessage], data: dict) -> list[SendResult]:
        details = {str(item.get("messageId")): item for item in data.get("messages") or [] if isinstance(item, dict)}
        missing = [message.message_id for message in messages if message.message_id not in details]
        if missing:
            raise AmbiguousProviderError(
                f"Infobip answered 200 without {len(missing)} of our message ids",
                http_status=200,
                code="INCOMPLETE_RESPONSE",
            )
        bulk_id = str(data.get("bulkId") or "")
        results = []
        for message in messages:
            detail = details[message.message_id]
            status = detail.get("status") or {}
            group = _group(status)
            accepted = group not in NOT_ACCEPTED_GROUPS
            if not accepted:
                logger.warning(
                    "infobip %s: %s rejected at send (%s)",
                    channel,
                    mask_destination(message.destination),
                    status.get("name", group),
                )
            results.append(
                SendResult(
                    message_id=message.message_id,
                    accepted=accepted,
                    provider_message_id=str(detail.get("messageId", "")),
                    bulk_id=bulk_id,
                    status_group=group,
                    status_name=status.get("name", ""),
                    parts=int((detail.get("details") or {}).get("messageCount") or 0),
                    error_code="" if accepted else status.get("name", group),
                    error_text="" if accepted else mask_text(status.get("description", "")),
                )
            )
        return results

    def _request(
        self, method: str, path: str, *, body: dict | None = None, params: list[tuple[str, str]] | None = None
    ) -> dict:
        """One HTTP call, every transport error and non-2xx answer mapped onto the provider error classes.

        A POST that may have reached Infobip (read timeout, reset after sending, 5xx) is ambiguous; a GET is
        idempotent, so the same failures are merely retryable.
        """
        sent_may_count = method == "POST"
        headers = {"Authorization": f"App {self._api_key or settings.INFOBIP_API_KEY}"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers["Content-Type"] = "application/json"
        where = f"{method} {path}"
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
        raise self._status_error(where, response, sent_may_count=sent_may_count)

    @staticmethod
    def _transport_error(
        cls: type[ProviderError], message: str, code: str, http_status: int | None = None
    ) -> ProviderError:
        logger.warning("infobip %s", message)
        return cls(message, http_status=http_status, code=code)

    @staticmethod
    def _status_error(where: str, response: requests.Response, *, sent_may_count: bool) -> ProviderError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        code, description, violations = parse_error_body(body)
        description = mask_text(description)
        violations = [{**item, "violation": mask_text(item["violation"])} for item in violations]
        message = f"{where}: HTTP {status} {code} {description}".strip()
        logger.warning("infobip %s (%d violations)", message, len(violations))
        if status == 429:
            return ThrottledProviderError(
                message,
                http_status=status,
                code=code or "E429",
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        if status in PERMANENT_STATUSES:
            return PermanentProviderError(message, http_status=status, code=code, violations=violations)
        if status >= 500:
            cls = AmbiguousProviderError if sent_may_count else RetryableProviderError
            return cls(message, http_status=status, code=code)
        if status == 408:
            return RetryableProviderError(message, http_status=status, code=code)
        return PermanentProviderError(message, http_status=status, code=code, violations=violations)

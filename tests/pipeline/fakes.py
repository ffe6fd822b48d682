"""An in-memory provider for unit tests: scripted failures, a 400 for chosen destinations, a log to look up."""

from __future__ import annotations

import threading
from collections import Counter

from notifications.providers.base import (
    BaseProvider,
    OutboundMessage,
    PermanentProviderError,
    SendOptions,
    SendResult,
    StatusReport,
)


class FakeProvider(BaseProvider):
    """Accepts every message unless told otherwise; remembers what it accepted, like Infobip's logs."""

    name = "fake"

    def __init__(self, *, invalid_destinations: set[str] | None = None) -> None:
        self.invalid_destinations = invalid_destinations or set()
        self.script: list[Exception] = []  # raised one per send(), before anything is stored
        self.accept_then_raise: list[Exception] = []  # store the batch, then raise (a 500 after the body went out)
        self.accepted: Counter[str] = Counter()
        self.requests: list[tuple[str, list[str]]] = []
        self.lookups: list[list[str]] = []
        self.options: list[SendOptions] = []
        self.messages: dict[str, OutboundMessage] = {}
        self.lookup_error: Exception | None = None
        self._lock = threading.Lock()

    def send(self, channel: str, messages: list[OutboundMessage], options: SendOptions) -> list[SendResult]:
        with self._lock:
            self.requests.append((channel, [m.message_id for m in messages]))
            self.options.append(options)
            if self.script:
                raise self.script.pop(0)
            bad = [m for m in messages if m.destination in self.invalid_destinations]
            if bad:
                raise PermanentProviderError(
                    "Request cannot be processed.",
                    http_status=400,
                    code="E400",
                    violations=[{"property": "messages[0].destinations[0].to", "violation": "invalid destination"}],
                )
            for message in messages:
                self.accepted[message.message_id] += 1
                self.messages[message.message_id] = message
            if self.accept_then_raise:
                raise self.accept_then_raise.pop(0)
            return [
                SendResult(
                    message_id=m.message_id,
                    accepted=True,
                    provider_message_id=f"p-{m.message_id}",
                    status_group="PENDING",
                    status_name="PENDING_ACCEPTED",
                    parts=1,
                )
                for m in messages
            ]

    def lookup(self, channel: str, message_ids: list[str]) -> dict[str, StatusReport]:
        with self._lock:
            self.lookups.append(list(message_ids))
            if self.lookup_error is not None:
                raise self.lookup_error
            return {
                mid: StatusReport(message_id=mid, status_group="PENDING", status_name="PENDING_ENROUTE")
                for mid in message_ids
                if self.accepted[mid]
            }

    def pull_reports(self, channel: str, *, limit: int = 1000) -> list[StatusReport]:
        return []

    @property
    def duplicates(self) -> list[str]:
        return [mid for mid, count in self.accepted.items() if count > 1]

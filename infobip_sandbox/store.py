"""The sandbox's memory: accepted messages with their counts, reports waiting to be pulled, and the statistics.

With idempotency on, ``accept`` tells a resent messageId (one accepted less than the grace period ago) from a new
one under the same lock that stores it, so two copies sent at the same instant are still counted once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

from infobip_sandbox.records import Record

RECEIVED_KEPT = 2000


class Store:
    """Thread-safe; every handler and reporter thread goes through one lock held only for dict updates."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.generation = 0
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.generation += 1
            self._records: dict[str, Record] = {}
            self._counts: dict[str, int] = {}
            self._by_channel: Counter[str] = Counter()
            self._requests: Counter[str] = Counter()
            self._responses: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            self._received: deque[tuple[str, dict[str, Any]]] = deque(maxlen=RECEIVED_KEPT)
            self._pull: dict[str, deque[Record]] = {name: deque() for name in ("sms", "email", "viber", "whatsapp")}
            self._reports: Counter[str] = Counter()
            self._rejected: Counter[str] = Counter()  # resent ids refused as duplicates (idempotency on)

    def last_to(self, channel: str, digits: str) -> Record | None:
        """The latest message accepted for ``digits`` (a number without '+') on ``channel``: what a customer answers."""
        with self._lock:
            records = list(self._records.values())
        found = [r for r in records if r.channel == channel and r.destination.lstrip("+") == digits]
        return max(found, key=lambda record: record.sent_at) if found else None

    # Writes -------------------------------------------------------------------------------------------------------

    def count_request(self, path: str) -> None:
        with self._lock:
            self._requests[path] += 1

    def count_response(self, status: int, fault: str = "") -> None:
        with self._lock:
            self._responses[str(status)] += 1
            if fault:
                self._faults[fault] += 1

    def accept(
        self, channel: str, records: list[Record], entries: list[dict[str, Any]], *, grace: float | None = None
    ) -> list[Record]:
        """Store and count ``records``; with a ``grace`` (idempotency on), one whose messageId was accepted less
        than ``grace`` seconds ago is refused instead. Returns the refused ones (their reports still go out)."""
        refused: list[Record] = []
        with self._lock:
            counts, stored = self._counts, self._records
            for record in records:
                known = stored.get(record.message_id) if grace is not None else None
                if known is not None and grace is not None and record.sent_at - known.sent_at <= grace:
                    refused.append(record)
                    self._rejected[record.message_id] += 1
                    continue
                counts[record.message_id] = counts.get(record.message_id, 0) + 1
                stored[record.message_id] = record
            self._by_channel[channel] += len(records) - len(refused)
            self._received.extend((channel, entry) for entry in entries)
            self._reports["scheduled"] += sum(1 for record in records if record.outcome != "silent")
        return refused

    def accepted_total(self) -> int:
        """Messages accepted so far (the threshold of ``fail_from_message`` / ``timeout_from_message``)."""
        with self._lock:
            return sum(self._by_channel.values())

    def reports_posted(self, count: int, generation: int) -> None:
        with self._lock:
            if generation == self.generation:
                self._reports["posted"] += count
                self._reports["posts"] += 1
                self._reports["done"] += count

    def report_post_failed(self, generation: int) -> None:
        with self._lock:
            if generation == self.generation:
                self._reports["failed_posts"] += 1

    def make_pullable(self, records: list[Record], generation: int) -> None:
        """Reports with no webhook, or whose webhook kept failing, wait for ``GET …/reports``."""
        with self._lock:
            if generation != self.generation:
                return
            for record in records:
                self._pull[record.channel].append(record)
            self._reports["done"] += len(records)
            self._reports["made_pullable"] += len(records)

    # Reads --------------------------------------------------------------------------------------------------------

    def take_reports(self, channel: str, *, limit: int, message_ids: set[str], bulk_ids: set[str]) -> list[Record]:
        """Each report is returned once, oldest first, as Infobip's pull endpoints do."""
        with self._lock:
            queue = self._pull[channel]
            if not message_ids and not bulk_ids:
                return [queue.popleft() for _ in range(min(limit, len(queue)))]
            taken: list[Record] = []
            kept: deque[Record] = deque()
            for record in queue:
                wanted = (not message_ids or record.message_id in message_ids) and (
                    not bulk_ids or record.bulk_id in bulk_ids
                )
                (taken if wanted and len(taken) < limit else kept).append(record)
            self._pull[channel] = kept
            return taken

    def logs(
        self, channel: str, *, message_ids: list[str], bulk_ids: set[str], limit: int, since: float = 0.0
    ) -> list[Record]:
        """Accepted messages, newest first; with ``since`` > 0, only those accepted before it (``logs_delay``)."""
        with self._lock:
            if message_ids:
                found = (self._records.get(message_id) for message_id in dict.fromkeys(message_ids))
                records = [record for record in found if record is not None and record.channel == channel]
                if since:
                    records = [record for record in records if record.sent_at <= since]
            else:
                records = [
                    record
                    for record in reversed(self._records.values())
                    if record.channel == channel
                    and (not bulk_ids or record.bulk_id in bulk_ids)
                    and (not since or record.sent_at <= since)
                ]
            return records[:limit]

    def received(self, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            entries = list(self._received)[-limit:] if limit > 0 else []
        return [{"channel": channel, "message": entry} for channel, entry in entries]

    def stats(self, *, with_ids: bool = False) -> dict[str, Any]:
        with self._lock:
            duplicates = {message_id: count for message_id, count in self._counts.items() if count > 1}
            stats: dict[str, Any] = {
                "requests": sum(self._requests.values()),
                "requests_by_path": dict(self._requests),
                "responses_by_status": dict(self._responses),
                "faults": dict(self._faults),
                "messages_accepted": sum(self._by_channel.values()),
                "by_channel": {name: self._by_channel[name] for name in ("sms", "email", "viber", "whatsapp")},
                "distinct_ids": len(self._counts),
                "duplicates": duplicates,
                "duplicate_ids": len(duplicates),
                "duplicates_rejected": sum(self._rejected.values()),
                "reports": {
                    "scheduled": self._reports["scheduled"],
                    "posted": self._reports["posted"],
                    "posts": self._reports["posts"],
                    "failed_posts": self._reports["failed_posts"],
                    "made_pullable": self._reports["made_pullable"],
                    "pending": self._reports["scheduled"] - self._reports["done"],
                    "pullable": {channel: len(queue) for channel, queue in self._pull.items()},
                },
                "at": time.time(),
            }
            if with_ids:
                stats["ids"] = dict(self._counts)
                stats["kinds"] = {message_id: record.kind for message_id, record in self._records.items()}
                stats["rejected_ids"] = dict(self._rejected)
        return stats

"""Delivery reports, POSTed from background threads in ``results[]`` batches, as Infobip pushes them.

A scheduler thread waits until reports are due, groups them by webhook URL into batches of at most 100 and hands
them to a few poster threads, each with its own pooled session. A failed POST is retried after a second; after the
last retry (or when a message had no webhook) the reports wait for the pull endpoints instead.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import queue
import threading
import time
from collections import defaultdict
from collections.abc import Callable

import requests
from requests.adapters import HTTPAdapter

from infobip_sandbox import second
from infobip_sandbox.config import SandboxConfig
from infobip_sandbox.records import Record
from infobip_sandbox.store import Store

logger = logging.getLogger(__name__)

RETRY_DELAY = 1.0
POST_TIMEOUT = (2.0, 10.0)


class Reporter:
    def __init__(self, store: Store, config: Callable[[], SandboxConfig], *, workers: int = 4) -> None:
        self._store = store
        self._config = config
        self._heap: list[tuple] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._outbox: queue.Queue = queue.Queue()
        self._stopped = False
        self._threads = [threading.Thread(target=self._schedule_loop, name="sandbox-reports", daemon=True)]
        self._threads += [
            threading.Thread(target=self._post_loop, name=f"sandbox-poster-{n}", daemon=True)
            for n in range(max(1, workers))
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        for _ in self._threads[1:]:
            self._outbox.put(None)

    def clear(self) -> None:
        with self._wake:
            self._heap.clear()

    def schedule(self, records: list[Record], due_at: float, generation: int) -> None:
        """Reports of one accepted request, due together."""
        self._push(due_at, generation, "", records, 0)

    def _push(self, due_at: float, generation: int, url: str, records: list[Record], attempt: int) -> None:
        with self._wake:
            heapq.heappush(self._heap, (due_at, next(self._seq), generation, url, records, attempt))
            self._wake.notify()

    def _due(self) -> list[tuple] | None:
        with self._wake:
            while not self._stopped:
                if not self._heap:
                    self._wake.wait()
                    continue
                wait = self._heap[0][0] - time.time()
                if wait > 0:
                    self._wake.wait(timeout=wait)
                    continue
                now, due = time.time(), []
                while self._heap and self._heap[0][0] <= now:
                    due.append(heapq.heappop(self._heap))
                return due
        return None

    def _schedule_loop(self) -> None:
        while (due := self._due()) is not None:
            batch_size = self._config().report_batch
            groups: dict[tuple[int, str, int], list[Record]] = defaultdict(list)
            for _, _, generation, url, records, attempt in due:
                if url:
                    groups[(generation, url, attempt)].extend(records)
                    continue
                unreachable = [record for record in records if not record.url]
                if unreachable:
                    self._store.make_pullable(unreachable, generation)
                for record in records:
                    if record.url:
                        groups[(generation, record.url, 0)].append(record)
            for (generation, url, attempt), records in groups.items():
                size = batch_size if records[0].kind == "infobip" else 1  # Twilio and Postmark post one at a time
                for start in range(0, len(records), size):
                    self._outbox.put((generation, url, records[start : start + size], attempt))

    def _post_loop(self) -> None:
        session = requests.Session()
        session.mount("http://", HTTPAdapter(pool_connections=8, pool_maxsize=8))
        session.mount("https://", HTTPAdapter(pool_connections=8, pool_maxsize=8))
        while (item := self._outbox.get()) is not None:
            generation, url, records, attempt = item
            if generation != self._store.generation:
                continue
            if records[0].kind == "infobip":
                body = json.dumps({"results": [record.report() for record in records]}, separators=(",", ":"))
                data, headers = body.encode(), {"Content-Type": "application/json"}
            else:
                data, headers = second.callback(records[0], self._config().api_key)
            try:
                response = session.post(url, data=data, headers=headers, timeout=POST_TIMEOUT)
                delivered = 200 <= response.status_code < 300
            except requests.RequestException:
                delivered = False
            if delivered:
                self._store.reports_posted(len(records), generation)
                continue
            self._store.report_post_failed(generation)
            if attempt + 1 < self._config().report_retries:
                self._push(time.time() + RETRY_DELAY, generation, url, records, attempt + 1)
            else:
                logger.info("sandbox: %d reports kept for pulling, their webhook keeps failing", len(records))
                self._store.make_pullable(records, generation)
        session.close()

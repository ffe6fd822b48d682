"""The hold hook: the answers of the next sends are kept back until a test releases them.

Why: the one crash that matters most, a worker dying after Infobip accepted its batch and before it recorded the
answer, must be injected on purpose, not left to chance. ``POST /_sandbox/hold {"count": 1}`` arms the hook; the
next send request is processed as usual (its messages stored and counted, and in the logs) but its answer and its
delivery reports wait. The test sees it held (``GET /_sandbox/hold``), kills the worker, lets the reconciler find
the messages by lookup, then ``POST /_sandbox/release``: the answer goes to a socket nobody reads any more and the
reports are scheduled. A reset releases everything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: A held answer is written anyway after this long, so a forgotten hold never blocks a thread for ever.
HOLD_LIMIT = 600.0


class Held:
    """One held answer: the ids it carries, what to do when released, and the event its handler waits on."""

    def __init__(self, message_ids: list[str], on_release: Callable[[], None]) -> None:
        self.message_ids = message_ids
        self._on_release = on_release
        self._released = threading.Event()

    def release(self) -> None:
        if not self._released.is_set():
            self._released.set()
            self._on_release()

    def wait(self) -> None:
        """Block the handler until released (or ``HOLD_LIMIT`` passed, then release it itself)."""
        if not self._released.wait(HOLD_LIMIT):
            self.release()


class HoldGate:
    """Thread-safe: how many sends are still to be held, and the answers held now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed = 0
        self._held: list[Held] = []
        self._released = 0

    def arm(self, count: int) -> None:
        if not 0 <= count <= 100:
            raise ValueError("count must be between 0 and 100")
        with self._lock:
            self._armed = count

    def take(self, message_ids: list[str], on_release: Callable[[], None]) -> Held | None:
        """A ``Held`` for this send if the gate is armed (one fewer to hold), else None."""
        with self._lock:
            if self._armed <= 0:
                return None
            self._armed -= 1
            held = Held(message_ids, on_release)
            self._held.append(held)
            return held

    def release_all(self) -> int:
        with self._lock:
            held, self._held = self._held, []
            self._released += len(held)
            self._armed = 0
        for item in held:
            item.release()
        return len(held)

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {
                "armed": self._armed,
                "holding": len(self._held),
                "held_ids": [message_id for held in self._held for message_id in held.message_ids],
                "released_total": self._released,
            }

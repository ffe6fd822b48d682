"""The circuit breaker per provider and channel: after repeated timeouts or 5xx the channel moves to its secondary.

Why: when Infobip's SMS API answers 5xx or hangs, every batch waits for its timeout and then for a lookup before it
may go again; a second provider that answers carries the notice meanwhile. State per (channel, provider):

- **closed**: requests go to the primary; each timeout, 5xx or lost connection counts, an answer resets the count;
- **open**: after ``PROVIDER_BREAKER_FAILURES`` consecutive failures, batches go to the secondary for
  ``PROVIDER_BREAKER_COOLDOWN_SECONDS``;
- **half-open**: after the cool-down one batch at a time (a probe token, shared by every worker) goes to the
  primary; an answer closes the breaker, a failure opens it for another cool-down.

The state lives in Redis (one hash per key, moved by atomic scripts) so every worker on every machine sees the
same breaker; without Redis (``make run``: one worker, a filesystem broker) a per-process table does the same, as
the rate limiter does (``ratelimit.py``). Only where a batch goes is decided here: a batch whose request was
ambiguous is looked up at the provider that got it (``Message.provider``, ``reconcile.py``) before any resend.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis

# KEYS[1] = the breaker's hash; ARGV = failures to open, now, cool-down seconds, key TTL. Returns the failure count.
FAILURE_LUA = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if failures >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'open_until', tonumber(ARGV[2]) + tonumber(ARGV[3]))
  redis.call('HDEL', KEYS[1], 'probe_until')
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
return failures
"""
# KEYS[1]; ARGV = now, probe seconds. Returns 0 closed, 1 open, 2 half-open and this caller holds the probe.
ROUTE_LUA = """
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if open_until == 0 then return 0 end
local now = tonumber(ARGV[1])
if now < open_until then return 1 end
local probe_until = tonumber(redis.call('HGET', KEYS[1], 'probe_until') or '0')
if now < probe_until then return 1 end
redis.call('HSET', KEYS[1], 'probe_until', now + tonumber(ARGV[2]))
return 2
"""
CLOSED, OPEN, PROBE = 0, 1, 2
KEY_TTL_SECONDS = 86400


@dataclass(frozen=True)
class BreakerState:
    """What the status page and the tests read: failures in a row, and until when the breaker is open (0: closed)."""

    failures: int
    open_until: float

    @property
    def is_open(self) -> bool:
        return self.open_until > 0


@lru_cache(maxsize=4)
def _redis_client(url: str) -> redis.Redis:
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


class LocalBreakers:
    """The same breakers for one process (no Redis)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, dict[str, float]] = {}

    def failure(self, key: str, threshold: int, now: float, cooldown: float) -> int:
        with self._lock:
            state = self._state.setdefault(key, {})
            state["failures"] = state.get("failures", 0) + 1
            if state["failures"] >= threshold:
                state["open_until"] = now + cooldown
                state.pop("probe_until", None)
            return int(state["failures"])

    def success(self, key: str) -> None:
        with self._lock:
            self._state.pop(key, None)

    def route(self, key: str, now: float, probe_seconds: float) -> int:
        with self._lock:
            state = self._state.get(key, {})
            open_until = state.get("open_until", 0.0)
            if not open_until:
                return CLOSED
            if now < open_until or now < state.get("probe_until", 0.0):
                return OPEN
            state["probe_until"] = now + probe_seconds
            return PROBE

    def read(self, key: str) -> BreakerState:
        with self._lock:
            state = self._state.get(key, {})
            return BreakerState(int(state.get("failures", 0)), float(state.get("open_until", 0.0)))

    def clear(self) -> None:
        with self._lock:
            self._state.clear()


_local = LocalBreakers()


def _key(channel: str, provider: str) -> str:
    return f"{settings.INFOBIP_MESSAGE_ID_PREFIX}:breaker:{channel}:{provider}"


def _redis() -> redis.Redis | None:
    url = getattr(settings, "REDIS_URL", None)
    return _redis_client(url) if url else None


def breaker_failure(*, channel: str, provider: str) -> bool:
    """Count a timeout, 5xx or lost connection; returns True when this failure opened (or re-opened) the breaker."""
    threshold = max(1, int(settings.PROVIDER_BREAKER_FAILURES))
    cooldown = float(settings.PROVIDER_BREAKER_COOLDOWN_SECONDS)
    client, key, now = _redis(), _key(channel, provider), time.time()
    if client is not None:
        # redis-py's hints take str arguments only; this sync client answers the script's integer.
        failures = client.eval(FAILURE_LUA, 1, key, threshold, now, cooldown, KEY_TTL_SECONDS)  # type: ignore[arg-type]
        return int(failures) >= threshold  # type: ignore[arg-type]
    return _local.failure(key, threshold, now, cooldown) >= threshold


def breaker_success(*, channel: str, provider: str) -> None:
    """The provider answered: the breaker closes (a probe that worked brings the channel back)."""
    client, key = _redis(), _key(channel, provider)
    if client is not None:
        client.delete(key)
    else:
        _local.success(key)


def breaker_route(*, channel: str, provider: str, probe_seconds: float) -> int:
    """``CLOSED`` (use it), ``OPEN`` (use the secondary) or ``PROBE`` (use it: this batch is the one probe).

    The probe token lasts ``probe_seconds`` (the longest request and its margin): if its batch never reports back
    (a worker died), another batch probes after it.
    """
    client, key, now = _redis(), _key(channel, provider), time.time()
    if client is not None:
        return int(client.eval(ROUTE_LUA, 1, key, now, probe_seconds))  # type: ignore[arg-type]
    return _local.route(key, now, probe_seconds)


def breaker_state(*, channel: str, provider: str) -> BreakerState:
    client, key = _redis(), _key(channel, provider)
    if client is None:
        return _local.read(key)
    values = {k.decode(): v.decode() for k, v in client.hgetall(key).items()}  # type: ignore[union-attr]
    return BreakerState(int(values.get("failures", 0)), float(values.get("open_until", 0)))


def breakers_reset() -> None:
    """Forget this process's breakers (tests); the Redis ones expire, or a test flushes its Redis DB."""
    _local.clear()

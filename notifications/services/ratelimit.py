"""Messages per second per channel, shared by every worker on every machine.

With Redis configured (``REDIS_URL`` or a Redis Celery broker) the limit is one GCRA schedule per channel kept in
Redis and advanced by one atomic Lua script: each batch reserves ``cost`` messages and is told how long to wait
before its slot. Without Redis (the embedded setup, one worker) a per-process schedule does the same.
``DISPATCH_SMS_RATE_PER_SECOND`` / ``DISPATCH_EMAIL_RATE_PER_SECOND`` set the rates; 0 means unlimited.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis

# KEYS[1] = schedule key; ARGV = rate per second, cost, burst seconds. Returns the wait in microseconds.
# The theoretical arrival time (TAT) moves forward by cost/rate for every reservation; a caller waits until the
# TAT it was given minus the allowed burst.
GCRA_LUA = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local rate = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local burst = tonumber(ARGV[3]) * 1000000
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - now - burst
if wait < 0 then wait = 0 end
local new_tat = tat + math.floor(cost * 1000000 / rate)
redis.call('SET', KEYS[1], new_tat, 'PX', math.floor((new_tat - now) / 1000) + 1000)
return wait
"""
BURST_SECONDS = 1.0


def rate_for(channel: str) -> float:
    return float(getattr(settings, f"DISPATCH_{channel.upper()}_RATE_PER_SECOND", 0) or 0)


@lru_cache(maxsize=4)
def _redis_client(url: str) -> redis.Redis:
    import redis

    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


class LocalSchedule:
    """The same schedule, for one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tat: dict[str, float] = {}

    def reserve(self, channel: str, rate: float, cost: int) -> float:
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat.get(channel, now), now)
            self._tat[channel] = tat + cost / rate
            return max(tat - now - BURST_SECONDS, 0.0)


_local = LocalSchedule()


def ratelimit_reserve(*, channel: str, cost: int) -> float:
    """Reserve ``cost`` messages on ``channel``; returns the seconds to wait before sending them (0 = now)."""
    rate = rate_for(channel)
    if rate <= 0 or cost <= 0:
        return 0.0
    url = getattr(settings, "REDIS_URL", None)
    if url:
        client = _redis_client(url)
        key = f"{settings.INFOBIP_MESSAGE_ID_PREFIX}:ratelimit:{channel}"
        # redis-py's hints take str arguments only (it encodes numbers too) and give the sync and asyncio clients
        # one answer type (``Awaitable[str] | str``); this sync client answers the script's integer.
        micros = client.eval(GCRA_LUA, 1, key, rate, cost, BURST_SECONDS)  # type: ignore[arg-type]
        return int(micros) / 1_000_000  # type: ignore[arg-type]
    return _local.reserve(channel, rate, cost)


def ratelimit_wait(*, channel: str, cost: int, max_wait: float) -> float:
    """Reserve and sleep until the slot; returns the seconds slept (never more than ``max_wait``)."""
    wait = min(ratelimit_reserve(channel=channel, cost=cost), max_wait)
    if wait > 0:
        time.sleep(wait)
    return wait

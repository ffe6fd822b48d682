"""Messages per second per channel, shared by every worker on every machine.

With Redis configured (``REDIS_URL`` or a Redis Celery broker) the limit is one GCRA schedule per channel kept in
Redis and advanced by one atomic Lua script: each batch reserves ``cost`` messages and is told how long to wait
before its slot. Without Redis (the embedded setup, one worker) a per-process schedule does the same.
``DISPATCH_SMS_RATE_PER_SECOND`` / ``DISPATCH_EMAIL_RATE_PER_SECOND`` set the rates; 0 means unlimited.
A paced send (``Send.pace_per_minute``) also reserves on a schedule of its own per channel; the slower one wins.
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

    def reserve(self, key: str, rate: float, cost: int, burst: float = BURST_SECONDS) -> float:
        with self._lock:
            now = time.monotonic()
            tat = max(self._tat.get(key, now), now)
            self._tat[key] = tat + cost / rate
            return max(tat - now - burst, 0.0)


_local = LocalSchedule()


def _reserve(name: str, rate: float, cost: int, burst: float) -> float:
    if rate <= 0 or cost <= 0:
        return 0.0
    url = getattr(settings, "REDIS_URL", None)
    if url:
        client = _redis_client(url)
        key = f"{settings.INFOBIP_MESSAGE_ID_PREFIX}:ratelimit:{name}"
        # redis-py's hints take str arguments only (it encodes numbers too) and give the sync and asyncio clients
        # one answer type (``Awaitable[str] | str``); this sync client answers the script's integer.
        micros = client.eval(GCRA_LUA, 1, key, rate, cost, burst)  # type: ignore[arg-type]
        return int(micros) / 1_000_000  # type: ignore[arg-type]
    return _local.reserve(name, rate, cost, burst)


def ratelimit_reserve(
    *, channel: str, cost: int, send_id: int | None = None, pace_per_minute: int | None = None
) -> float:
    """Reserve ``cost`` messages on ``channel`` (and on the send's own pace); the seconds to wait (0 = now)."""
    wait = _reserve(channel, rate_for(channel), cost, BURST_SECONDS)
    if send_id is not None and pace_per_minute:
        # No burst on a pace: a paced send's batches are small (pace_batch_size), each waits for its own slot.
        wait = max(wait, _reserve(f"send:{send_id}:{channel}", pace_per_minute / 60, cost, 0.0))
    return wait


def pace_batch_size(pace_per_minute: int | None, batch_size: int) -> int:
    """A paced send claims about a second's worth of messages at a time, so its pace is smooth, not bursts."""
    if not pace_per_minute:
        return batch_size
    return max(1, min(batch_size, pace_per_minute // 60))


def ratelimit_wait(
    *, channel: str, cost: int, max_wait: float, send_id: int | None = None, pace_per_minute: int | None = None
) -> float:
    """Reserve and sleep until the slot (at most ``max_wait``); returns the seconds still owed (0: go now).

    A caller that sleeps less than its slot needs (a slow pace, many workers on one send) must not send early on a
    pace: deliver.py gives such a batch back, due when its slot comes.
    """
    reserved = ratelimit_reserve(channel=channel, cost=cost, send_id=send_id, pace_per_minute=pace_per_minute)
    wait = min(reserved, max_wait)
    if wait > 0:
        time.sleep(wait)
    return reserved - wait

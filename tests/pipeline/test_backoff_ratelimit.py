"""Backoff stays within its bounds; the shared rate limit spaces batches across processes (Redis)."""

from __future__ import annotations

import random

import pytest
import redis

from notifications.services import ratelimit
from notifications.services.backoff import CAP_SECONDS, backoff_ceiling, backoff_delay, throttle_delay
from tests.fixtures.worker import redis_url


def test_backoff_grows_exponentially_and_is_capped():
    """The ceiling doubles per attempt from 1 s and stops at 5 minutes."""
    assert [backoff_ceiling(n) for n in range(1, 6)] == [1, 2, 4, 8, 16]
    assert backoff_ceiling(40) == CAP_SECONDS == 300


def test_full_jitter_stays_within_zero_and_the_ceiling():
    """Every draw lies in [0, ceiling] and draws actually vary."""
    rng = random.Random(1)
    for attempts in range(1, 20):
        draws = [backoff_delay(attempts, rng=rng) for _ in range(200)]
        assert all(0 <= d <= backoff_ceiling(attempts) for d in draws)
        assert len(set(draws)) > 1


def test_throttle_honours_retry_after_with_a_cap():
    """A 429 waits Retry-After (capped at 10 minutes), or backs off when none was given."""
    assert throttle_delay(7, 1) == 7
    assert throttle_delay(10_000, 1) == 600
    assert 0.5 <= throttle_delay(None, 1) <= 1


def test_unlimited_rate_never_waits(settings):
    """A rate of 0 means no limit."""
    settings.DISPATCH_SMS_RATE_PER_SECOND = 0
    assert ratelimit.ratelimit_reserve(channel="sms", cost=10_000) == 0


def test_local_schedule_spaces_batches(settings):
    """Without Redis, one process spaces batches by cost / rate after a one-second burst."""
    schedule = ratelimit.LocalSchedule()
    waits = [schedule.reserve("sms", 100, 100) for _ in range(4)]
    assert waits[0] == 0 and waits[1] == 0
    assert 0.9 <= waits[2] <= 1.01 and 1.9 <= waits[3] <= 2.01


@pytest.mark.redis
def test_redis_schedule_is_shared(settings):
    """Two reservations through Redis (as two workers would) are spaced by the shared schedule."""
    settings.REDIS_URL = redis_url()
    settings.DISPATCH_EMAIL_RATE_PER_SECOND = 50
    settings.INFOBIP_MESSAGE_ID_PREFIX = "pipeline-test"
    redis.Redis.from_url(redis_url()).delete("pipeline-test:ratelimit:email")
    waits = [ratelimit.ratelimit_reserve(channel="email", cost=100) for _ in range(3)]
    assert waits[0] == 0
    assert 0.9 <= waits[1] <= 1.05 and 2.9 <= waits[2] <= 3.05

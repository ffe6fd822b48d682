"""When a message that failed for a retryable reason may be tried again: exponential backoff with full jitter.

Full jitter (a uniform draw between zero and the exponential ceiling) spreads the retries of many workers hit by
the same outage, so they do not return in lockstep. Retry times live in ``Message.next_attempt_at``, never in a
Celery countdown, so a lost or repeated task changes nothing.
"""

from __future__ import annotations

import random

BASE_SECONDS = 1.0
CAP_SECONDS = 300.0
THROTTLE_CAP_SECONDS = 600.0


def backoff_ceiling(attempts: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS) -> float:
    """The longest wait after ``attempts`` tries: base × 2^(attempts − 1), capped."""
    exponent = max(attempts - 1, 0)
    return min(cap, base * (2 ** min(exponent, 30)))


def backoff_delay(
    attempts: int, *, base: float = BASE_SECONDS, cap: float = CAP_SECONDS, rng: random.Random | None = None
) -> float:
    """A wait drawn uniformly in [0, ceiling] (full jitter)."""
    return (rng or random).uniform(0, backoff_ceiling(attempts, base=base, cap=cap))


def throttle_delay(retry_after: float | None, attempts: int) -> float:
    """How long to wait after a 429: the provider's Retry-After when given (capped), else a backoff."""
    if retry_after is not None and retry_after >= 0:
        return min(float(retry_after), THROTTLE_CAP_SECONDS)
    return max(backoff_delay(attempts), 0.5)

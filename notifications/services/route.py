"""Which provider a batch goes to, and what its request taught the breaker.

Why its own step: the fence and the request are the same whichever provider carries a batch; only this choice
differs. With no secondary configured for a channel every batch goes to the primary and no breaker is kept. With
one, the primary's breaker (``breaker.py``) decides: closed or this batch is its probe → the primary; open → the
secondary (unless its own breaker is open too: then the primary, which may have recovered). Each request's health
is counted on the breaker of the provider that got it. A probe that fails costs its messages no attempt: else the
last messages of a notice, probing again after every cool-down, would run out of attempts while the secondary
works.
"""

from __future__ import annotations

import logging

from notifications.providers import secondary_provider
from notifications.providers.base import BaseProvider
from notifications.services.breaker import (
    OPEN,
    PROBE,
    breaker_failure,
    breaker_route,
    breaker_state,
    breaker_success,
)
from notifications.services.fence import request_budget

logger = logging.getLogger(__name__)


def provider_route(*, channel: str, primary: BaseProvider) -> tuple[BaseProvider, bool]:
    """The provider this batch goes to, and whether the batch is the breaker's probe of the primary."""
    secondary = secondary_provider(channel)
    if secondary is None or secondary.name == primary.name:
        return primary, False
    state = breaker_route(channel=channel, provider=primary.name, probe_seconds=request_budget(primary))
    if state == PROBE:
        logger.info("%s: probing %s after its cool-down", channel, primary.name)
        return primary, True
    if state == OPEN and not breaker_state(channel=channel, provider=secondary.name).is_open:
        return secondary, False
    return primary, False


def provider_health(*, channel: str, provider: BaseProvider, healthy: bool | None) -> None:
    """Count a request's outcome: ``True`` answered, ``False`` timed out / 5xx / lost, ``None`` says nothing."""
    if healthy is None or secondary_provider(channel) is None:
        return
    if healthy:
        breaker_success(channel=channel, provider=provider.name)
    elif breaker_failure(channel=channel, provider=provider.name):
        logger.warning("%s: %s keeps failing; its breaker is open", channel, provider.name)

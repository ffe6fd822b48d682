"""The circuit breaker per provider and channel: opens after N failures in a row, sends batches to the secondary,
lets one probe through after the cool-down, and closes when the primary answers; in Redis (shared by every
worker) and in-process (``make run``, no Redis)."""

from __future__ import annotations

import time

import pytest

from notifications.providers.infobip import InfobipProvider
from notifications.services import breaker
from notifications.services.breaker import CLOSED, OPEN, PROBE, breaker_failure, breaker_route, breaker_success
from notifications.services.route import provider_route
from tests.conftest import redis_url


@pytest.fixture(params=["local", pytest.param("redis", marks=pytest.mark.redis)])
def where(request, settings):
    settings.PROVIDER_BREAKER_FAILURES = 3
    settings.PROVIDER_BREAKER_COOLDOWN_SECONDS = 0.5
    settings.INFOBIP_MESSAGE_ID_PREFIX = f"breaker-test-{time.monotonic_ns()}"
    settings.REDIS_URL = redis_url() if request.param == "redis" else None
    breaker.breakers_reset()
    yield request.param
    breaker.breakers_reset()


def test_opens_after_failures_in_a_row_then_probes_once_and_closes(where):
    key = {"channel": "sms", "provider": "infobip"}
    assert breaker_route(**key, probe_seconds=5) == CLOSED
    assert not breaker_failure(**key)
    breaker_success(**key)  # an answer resets the count: failures must come in a row
    assert not breaker_failure(**key) and not breaker_failure(**key)
    assert breaker_failure(**key)  # the third in a row opens it
    assert breaker_route(**key, probe_seconds=5) == OPEN
    time.sleep(0.6)  # the cool-down
    assert breaker_route(**key, probe_seconds=5) == PROBE  # one batch probes…
    assert breaker_route(**key, probe_seconds=5) == OPEN  # …the others still go to the secondary
    assert breaker_failure(**key)  # the probe failed: open for another cool-down
    assert breaker_route(**key, probe_seconds=5) == OPEN
    time.sleep(0.6)
    assert breaker_route(**key, probe_seconds=5) == PROBE
    breaker_success(**key)  # the probe was answered: back to the primary
    assert breaker_route(**key, probe_seconds=5) == CLOSED
    assert breaker_route(channel="email", provider="infobip", probe_seconds=5) == CLOSED  # per channel


def test_route_uses_the_secondary_only_when_configured_and_open(where, settings):
    primary = InfobipProvider()
    settings.SMS_SECONDARY_PROVIDER = ""
    for _ in range(5):
        breaker_failure(channel="sms", provider="infobip")
    assert provider_route(channel="sms", primary=primary)[0] is primary  # no secondary: no failover
    settings.SMS_SECONDARY_PROVIDER = "twilio"
    assert provider_route(channel="sms", primary=primary)[0].name == "twilio"
    assert provider_route(channel="email", primary=primary)[0] is primary
    settings.SMS_SECONDARY_PROVIDER = "postmark"  # a secondary for another channel is ignored
    assert provider_route(channel="sms", primary=primary)[0] is primary

"""Fixtures of the second-provider tests: a second sandbox process playing Twilio and Postmark, and settings that
name it as the SMS and email secondaries (the session's first sandbox stays the Infobip primary)."""

from __future__ import annotations

import pytest

from notifications.providers import reset_providers
from notifications.services.breaker import breakers_reset
from tests.fixtures.sandbox import SandboxProcess

TWILIO_SID = "AC" + "0123456789abcdef" * 2
SECOND_KEY = "second-sandbox-key"


@pytest.fixture(scope="session")
def second_sandbox_process():
    sandbox = SandboxProcess(api_key=SECOND_KEY, report_delay=0.2)
    yield sandbox
    sandbox.stop()


@pytest.fixture
def second_sandbox(second_sandbox_process):
    """The second provider's sandbox, reset before and after each test."""
    second_sandbox_process.reset()
    yield second_sandbox_process
    second_sandbox_process.reset()


def second_env(sandbox: SandboxProcess) -> dict[str, str]:
    """Settings (and a worker's environment) naming ``sandbox`` as Twilio for SMS and Postmark for email."""
    return {
        "SMS_SECONDARY_PROVIDER": "twilio",
        "EMAIL_SECONDARY_PROVIDER": "postmark",
        "TWILIO_BASE_URL": sandbox.url,
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": sandbox.api_key,
        "TWILIO_FROM": "+15005550006",
        "POSTMARK_API_URL": sandbox.url + "/",
        "POSTMARK_SERVER_TOKEN": sandbox.api_key,
        "POSTMARK_FROM": "status@example.com",
    }


@pytest.fixture
def second_settings(settings, second_sandbox):
    for name, value in second_env(second_sandbox).items():
        setattr(settings, name, value)
    settings.INFOBIP_TIMEOUT_CONNECT = 1.0
    settings.INFOBIP_TIMEOUT_READ = 2.0
    reset_providers()
    breakers_reset()
    yield second_sandbox
    reset_providers()
    breakers_reset()

"""No API key, full phone number or email address in the provider's logs; the masking helpers."""

from __future__ import annotations

import json
import logging

import pytest

from notifications.masking import mask_destination, mask_text
from notifications.providers import get_provider, reset_providers
from notifications.providers.base import PermanentProviderError, SendOptions
from notifications.providers.infobip import InfobipProvider
from tests.provider.conftest import emails, sms


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("+33612345678", "+33******78"),
        ("33612345678", "33******78"),
        ("+4179302", "+41******02"),
        ("12345", "******"),
        ("", "******"),
        ("john.smith@example.com", "j***@example.com"),
        ("@example.com", "***@example.com"),
    ],
)
def test_mask_destination(value, masked):
    """Numbers keep their first two and last two digits, emails their first letter and domain."""
    assert mask_destination(value) == masked


def test_mask_text_masks_numbers_and_addresses_in_free_text():
    """Phone numbers and email addresses inside a sentence are masked; short numbers stay."""
    text = "Invalid destination +33612345678 and 41793026727 for jane@example.org (code 400)"
    assert mask_text(text) == "Invalid destination +33******78 and 41******27 for j***@example.org (code 400)"


def test_logs_carry_no_key_number_or_address(provider, infobip_sandbox, caplog, settings):
    """Sends, rejections and errors log masked destinations and never the API key."""
    caplog.set_level(logging.DEBUG)
    provider.send("sms", sms(2, destination="+336123456{n:02d}"), SendOptions())
    provider.send("email", emails(2, local="john.smith{n}"), SendOptions())
    bad = sms(1, prefix="bad", destination="+33699999999", text="")
    with pytest.raises(PermanentProviderError):
        provider.send("sms", bad, SendOptions())
    settings.INFOBIP_API_KEY = "wrong-key-123"
    with pytest.raises(PermanentProviderError):
        provider.send("sms", sms(1), SendOptions())
    logged = caplog.text
    assert "infobip sms" in logged and "HTTP 401" in logged
    for secret in (
        "33612345600",
        "33612345601",
        "33699999999",
        "john.smith0@",
        "example.com>",
        infobip_sandbox.api_key,
        "wrong-key-123",
    ):
        assert secret not in logged


def test_rejected_message_is_logged_masked(canned_provider, canned_server, caplog):
    """A message rejected in the send answer is logged with its destination masked."""
    rejected = {"groupId": 5, "groupName": "REJECTED", "id": 6, "name": "REJECTED_NETWORK", "description": "No"}
    canned_server.answer(200, json.dumps({"messages": [{"messageId": "op-sms-0", "status": rejected}]}))
    caplog.set_level(logging.INFO)
    canned_provider.send("sms", sms(1, destination="+33612345678"), SendOptions())
    assert "+33******78" in caplog.text and "612345678" not in caplog.text


def test_get_provider_is_one_instance_per_process(settings):
    """get_provider() instantiates the configured class once and reuses it; a new setting gives a new one."""
    reset_providers()
    settings.NOTIFICATIONS_PROVIDER = "notifications.providers.infobip.InfobipProvider"
    first = get_provider()
    assert isinstance(first, InfobipProvider) and get_provider() is first
    adapter = first.session.get_adapter("http://example.com")
    assert adapter._pool_maxsize >= 16
    settings.NOTIFICATIONS_PROVIDER = "tests.provider.test_masking.OtherProvider"
    assert isinstance(get_provider(), OtherProvider)
    reset_providers()


class OtherProvider(InfobipProvider):
    """A second provider class, to show the setting picks the class."""


def test_mask_text_leaves_uuids_decimals_and_times_alone():
    """Digit runs inside task UUIDs, durations and timestamps are not phone numbers and stay readable."""
    text = "task 9f1c2d3e-4b5a-6789-0123-456789abcdef took 0.0123456s at 11:48:44,123456"
    assert mask_text(text) == text

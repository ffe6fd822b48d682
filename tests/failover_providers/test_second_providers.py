"""Twilio and Postmark (through django-anymail) as second providers, against the sandbox over HTTP.

The Twilio request form is checked against Twilio's OpenAPI description of ``POST …/Messages.json``
(tests/fixtures/twilio_messages_api_schema.json), and both providers against the sandbox, which refuses what the
real APIs refuse (unknown parameters, a To that is not E.164, a missing body).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from notifications.providers.anymail_email import AnymailEmailProvider
from notifications.providers.base import AmbiguousProviderError, SendOptions
from notifications.providers.twilio import TwilioProvider, request_form
from tests.provider.conftest import emails, sms

SCHEMA = json.loads((Path(__file__).parents[1] / "fixtures" / "twilio_messages_api_schema.json").read_text())


def _typed(form: dict[str, str]) -> dict[str, object]:
    """A form's values typed as the schema declares them (form encoding carries text only)."""
    properties = SCHEMA["components"]["schemas"]["CreateMessageRequest"]["properties"]
    typed: dict[str, object] = {}
    for name, value in form.items():
        kind = properties.get(name, {}).get("type")
        typed[name] = int(value) if kind == "integer" else value
    return typed


def test_twilio_form_matches_the_published_shape(settings):
    settings.PORTAL_BASE_URL = "https://portal.example.com"
    [message] = sms(1)
    form = request_form(message, SendOptions(validity_minutes=90), sender="+15005550006")
    schema = {**SCHEMA["components"]["schemas"]["CreateMessageRequest"], "additionalProperties": False}
    jsonschema.validate(_typed(form), {**schema, "components": SCHEMA["components"]})
    assert form["StatusCallback"] == "https://portal.example.com/webhooks/twilio/status/?m=op-sms-0"
    assert form["ValidityPeriod"] == "5400"
    service = request_form(message, SendOptions(), sender="MG" + "a" * 32)
    assert "From" not in service and service["MessagingServiceSid"].startswith("MG")
    assert "ValidityPeriod" not in service
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_typed({**form, "Bogus": "1"}), {**schema, "components": SCHEMA["components"]})


def test_twilio_sends_each_message_once(second_settings):
    provider = TwilioProvider()
    results = provider.send("sms", sms(5), SendOptions())
    assert all(result.accepted for result in results)
    assert all(result.provider_message_id.startswith("SM") for result in results)
    stats = second_settings.stats(ids=True)
    assert stats["ids"] == {f"op-sms-{i}": 1 for i in range(5)}
    assert set(stats["kinds"].values()) == {"twilio"}


def test_what_twilio_receives_matches_the_published_shape(second_settings):
    """The form as it arrives (encoded by requests), typed and checked against CreateMessageRequest."""
    TwilioProvider().send("sms", sms(1), SendOptions(validity_minutes=10))
    [entry] = [item["message"] for item in second_settings.received()]
    schema = {**SCHEMA["components"]["schemas"]["CreateMessageRequest"], "additionalProperties": False}
    jsonschema.validate(_typed(entry), {**schema, "components": SCHEMA["components"]})
    assert entry["To"] == "+33612340000" and entry["ValidityPeriod"] == "600"


def test_twilio_refusals_and_faults(second_settings):
    provider = TwilioProvider()
    [bad] = sms(1, destination="0612")
    [refused] = provider.send("sms", [bad], SendOptions())
    assert not refused.accepted and refused.outcome == "" and refused.error_code.startswith("21211")
    second_settings.configure(fail_rate=1.0)
    with pytest.raises(AmbiguousProviderError):  # every request a 500: the batch's outcome is unknown
        provider.send("sms", sms(3), SendOptions())


def test_postmark_sends_and_finds_by_our_id(second_settings):
    provider = AnymailEmailProvider()
    results = provider.send("email", emails(3), SendOptions())
    assert all(result.accepted for result in results), results
    received = [entry["message"] for entry in second_settings.received()]
    assert {entry["To"] for entry in received} == {f"client{i}@example.com" for i in range(3)}
    # What anymail sent: our id in Metadata, the stream, the one-click unsubscribe headers, both bodies.
    first = next(entry for entry in received if entry["To"] == "client0@example.com")
    assert first["Metadata"] == {"message_id": "op-mail-0"} and first["MessageStream"] == "outbound"
    assert {header["Name"] for header in first["Headers"]} >= {"List-Unsubscribe", "List-Unsubscribe-Post"}
    assert first["TextBody"] == "Dear client 0" and first["HtmlBody"] == "<p>Dear client 0</p>"
    found = provider.lookup("email", ["op-mail-0", "op-mail-2", "op-mail-9"])
    assert set(found) == {"op-mail-0", "op-mail-2"}
    second_settings.configure(fail_rate=1.0)
    with pytest.raises(AmbiguousProviderError):
        provider.send("email", emails(2, prefix="op-other"), SendOptions())

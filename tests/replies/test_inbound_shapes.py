"""The inbound bodies the sandbox posts, and those these tests post, follow Infobip's published webhook schemas
(OpenAPI 3.210.0: ``SmsMoReportResponse`` for inbound SMS, ``MessagesApiIncomingMessage`` / ``MessagesApiMoEvent``
for WhatsApp and Viber; tests/fixtures/infobip_inbound_schema.json), and the portal reads them."""

import json
from pathlib import Path

import jsonschema
import pytest

from infobip_sandbox.inbound import _payload
from notifications.replies.parse import messages_api_inbound, sms_inbound
from tests.replies.test_inbound_replies import messages_api, sms

SCHEMA = json.loads((Path(__file__).parent.parent / "fixtures" / "infobip_inbound_schema.json").read_text())


def check(body: dict, name: str) -> None:
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"#/$defs/{name}", "$defs": SCHEMA["$defs"]}, format_checker=jsonschema.FormatChecker()
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors


def check_messages_api(body: dict) -> None:
    """OpenAPI's discriminators are not JSON Schema: each event and content part is checked against its mapping."""
    check(body, "MessagesApiIncomingMessage")
    events = SCHEMA["$defs"]["MessagesApiInboundEvent"]["discriminator"]["mapping"]
    parts = SCHEMA["$defs"]["MessagesApiMoEventContent"]["discriminator"]["mapping"]
    for event in body["results"]:
        check(event, events[event["event"]].rsplit("/", 1)[1])
        for part in event.get("content", []):
            check(part, parts[part["type"]].rsplit("/", 1)[1])


@pytest.mark.parametrize("channel", ["whatsapp", "viber"])
def test_the_sandbox_messages_api_reply_is_a_published_mo_event(channel):
    body = _payload(channel, "33612345678", "447860099299", "1", "sandbox-mo-1", "op-42")
    check_messages_api(body)
    [inbound] = messages_api_inbound(body)
    assert (inbound.channel, inbound.text, inbound.paired_id) == (channel, "1", "op-42")


def test_the_sandbox_sms_reply_is_a_published_inbound_sms():
    body = _payload("sms", "33612345678", "InfoSMS", "STOP now", "sandbox-mo-2")
    check(body, "SmsMoReportResponse")
    [inbound] = sms_inbound(body)
    assert (inbound.channel, inbound.sender, inbound.text) == ("sms", "33612345678", "STOP now")


def test_the_test_payloads_follow_the_schemas_too():
    check(json.loads(sms("1")), "SmsMoReportResponse")
    check_messages_api(json.loads(messages_api([{"type": "BUTTON_REPLY", "text": "Yes", "payload": "yes"}])))
    check_messages_api(json.loads(messages_api([{"type": "TEXT", "text": "2", "cleanText": "2"}])))

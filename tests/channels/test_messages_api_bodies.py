"""The Viber and WhatsApp request bodies we build, and the sandbox's answers, against Infobip's published schema."""

from __future__ import annotations

import jsonschema
import pytest
import requests

from notifications.channels import channel_spec
from notifications.channels.base import ChannelOutput
from notifications.providers.base import OutboundMessage, SendOptions
from tests.channels.schema import validate_report, validate_request, validate_response

OPTIONS = SendOptions(report_url="https://portal.example.com/webhooks/infobip/reports/tok/", reference="camp-7")


def viber(n: int, destination: str = "+3361234{n:04d}") -> list[OutboundMessage]:
    spec = channel_spec("viber")
    return [
        spec.outbound(
            message_id=f"op-v-{i}",
            destination=destination.format(n=i),
            language="en",
            output=ChannelOutput(text=f"Outage in area {i}"),
            headers={},
        )
        for i in range(n)
    ]


def whatsapp(n: int, *, template: str = "outage_notice", destination: str = "+3361234{n:04d}") -> list[OutboundMessage]:
    spec = channel_spec("whatsapp")
    return [
        spec.outbound(
            message_id=f"op-w-{i}",
            destination=destination.format(n=i),
            language="fr",
            output=ChannelOutput(subject=template, text=f"Client {i}\n18:30" if template else f"Free text {i}"),
            headers={},
        )
        for i in range(n)
    ]


def test_viber_text_body_is_valid_and_carries_our_ids():
    body = channel_spec("viber").request_body(
        viber(2), SendOptions(**{**OPTIONS.__dict__, "bulk_id": "b-1"}), sender="Outages"
    )
    validate_request(body)
    first = body["messages"][0]
    assert first["channel"] == "VIBER_BM" and first["sender"] == "Outages"
    assert first["destinations"] == [{"to": "33612340000", "messageId": "op-v-0"}]
    assert first["content"] == {"body": {"type": "TEXT", "text": "Outage in area 0"}}
    assert first["webhooks"]["delivery"] == {"url": OPTIONS.report_url}
    assert first["options"] == {"campaignReferenceId": "camp-7"}
    assert body["options"] == {"schedule": {"bulkId": "b-1"}}


def test_whatsapp_template_body_is_valid():
    """Outside a conversation: the approved template's name, the recipient's language, placeholders "1", "2"."""
    body = channel_spec("whatsapp").request_body(whatsapp(1), OPTIONS, sender="447491163862")
    validate_request(body)
    message = body["messages"][0]
    assert message["channel"] == "WHATSAPP"
    assert message["template"] == {"templateName": "outage_notice", "language": "fr"}
    assert message["content"] == {"body": {"type": "TEXT", "1": "Client 0", "2": "18:30"}}


def test_whatsapp_free_text_body_is_valid():
    body = channel_spec("whatsapp").request_body(whatsapp(1, template=""), OPTIONS, sender="447491163862")
    validate_request(body)
    assert "template" not in body["messages"][0]
    assert body["messages"][0]["content"]["body"] == {"type": "TEXT", "text": "Free text 0"}


def test_the_schema_check_catches_a_wrong_body():
    """The check is not a rubber stamp: a misspelt field, a missing text or an unknown channel fail it."""
    body = channel_spec("viber").request_body(viber(1), OPTIONS, sender="Outages")
    for broken in (
        {**body["messages"][0], "chanel": "VIBER_BM"},
        {**body["messages"][0], "channel": "VIBER"},
        {**body["messages"][0], "content": {"body": {"type": "TEXT"}}},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate_request({"messages": [broken]})


@pytest.mark.parametrize("channel", ["viber", "whatsapp"])
def test_sandbox_accepts_our_bodies_and_reports_in_the_published_shape(infobip_sandbox, report_receiver, channel):
    """The sandbox answers our ids (valid ``MessageResponse``), posts valid delivery results, and applies the
    outcome rules by number (666 undeliverable) on these channels too."""
    infobip_sandbox.configure(report_delay=0.05)
    build = viber if channel == "viber" else whatsapp
    messages = build(2) + build(1, destination="+33600000666")[:1]
    messages[-1] = OutboundMessage(**{**messages[-1].__dict__, "message_id": "op-bad"})
    body = channel_spec(channel).request_body(messages, SendOptions(report_url=report_receiver.url), sender="S")
    validate_request(body)
    headers = {"Authorization": f"App {infobip_sandbox.api_key}"}
    answer = requests.post(infobip_sandbox.url + "/messages-api/1/messages", json=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    validate_response(answer.json())
    assert [m["messageId"] for m in answer.json()["messages"]] == [m.message_id for m in messages]
    reports = {r["messageId"]: r for r in report_receiver.wait_for(3)}
    validate_report({"results": list(reports.values())})
    assert reports["op-bad"]["status"]["groupName"] == "UNDELIVERABLE"
    assert {r["channel"] for r in reports.values()} == {"VIBER_BM" if channel == "viber" else "WHATSAPP"}
    assert infobip_sandbox.stats()["by_channel"][channel] == 3


def test_sandbox_refuses_a_template_without_a_name(infobip_sandbox):
    body = channel_spec("whatsapp").request_body(whatsapp(1), OPTIONS, sender="S")
    body["messages"][0]["template"] = {"templateName": " "}
    headers = {"Authorization": f"App {infobip_sandbox.api_key}"}
    answer = requests.post(infobip_sandbox.url + "/messages-api/1/messages", json=body, headers=headers, timeout=10)
    assert answer.status_code == 400
    assert answer.json()["violations"][0]["property"] == "messages[0].template.templateName"

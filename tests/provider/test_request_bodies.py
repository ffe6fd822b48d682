"""Every request body the provider builds, and every answer the sandbox gives, read by Infobip's official models."""

from __future__ import annotations

import json

import pytest
import requests
from infobip_api_client.models import (
    ApiError,
    EmailLogsResponse,
    EmailReportsResult,
    EmailRequest,
    EmailResponse,
    EmailWebhookDLRReportResponse,
    SmsDeliveryResult,
    SmsLogsResponse,
    SmsRequest,
    SmsResponse,
)

from notifications.providers.base import SendOptions
from notifications.providers.infobip.bodies import email_request_body, sms_request_body
from tests.provider.conftest import OPTIONS, emails, sms
from tests.provider.official import assert_faithful, faithfulness_problems

SENDERS = {"sms": "OutageInfo", "email": "Outage Portal <status@example.com>"}


def test_sms_body_matches_official_model():
    """An SMS batch body (sender, destinations with our ids, text, webhooks, reference, count option) is faithful."""
    body = sms_request_body(sms(3, callback_data="send-9"), OPTIONS, sender="OutageInfo")
    assert_faithful(SmsRequest, body)
    first = body["messages"][0]
    assert first["destinations"] == [{"to": "33612340000", "messageId": "op-sms-0"}]
    assert first["webhooks"] == {
        "delivery": {"url": OPTIONS.report_url},
        "contentType": "application/json",
        "callbackData": "send-9",
    }
    assert first["options"] == {"campaignReferenceId": "camp-7"}
    assert body["options"] == {"includeSmsCountInResponse": True}
    assert [m["content"]["text"] for m in body["messages"]] == ["Outage in 0", "Outage in 1", "Outage in 2"]


def test_sms_body_with_bulk_id_and_no_webhook_matches_official_model():
    """Without a report URL no webhooks are sent; a bulk id goes under options.schedule."""
    body = sms_request_body(sms(2), SendOptions(bulk_id="send-4-batch-1"), sender="OutageInfo")
    assert_faithful(SmsRequest, body)
    assert "webhooks" not in body["messages"][0] and "options" not in body["messages"][0]
    assert body["options"]["schedule"] == {"bulkId": "send-4-batch-1"}


def test_email_body_matches_official_model():
    """An email batch body (one message per recipient, headers as a JSON string) is faithful to EmailRequest."""
    body = email_request_body(emails(2, callback_data="send-9"), OPTIONS, sender=SENDERS["email"])
    assert_faithful(EmailRequest, body)
    first = body["messages"][0]
    assert first["destinations"] == [{"to": [{"destination": "client0@example.com", "messageId": "op-mail-0"}]}]
    assert first["content"]["subject"] == "Outage notice 0"
    assert json.loads(first["content"]["headers"])["List-Unsubscribe"] == "<https://portal.example.com/u/0/>"
    assert first["webhooks"]["delivery"]["url"] == OPTIONS.report_url


def test_email_body_with_bulk_id_matches_official_model():
    """An email bulk id goes under options.schedule and is faithful."""
    body = email_request_body(emails(1), SendOptions(bulk_id="b-1"), sender=SENDERS["email"])
    assert_faithful(EmailRequest, body)
    assert body["options"] == {"schedule": {"bulkId": "b-1"}}


@pytest.mark.parametrize(
    ("model", "body"),
    [
        (
            SmsRequest,
            {"messages": [{"sender": "X", "destinations": [{"to": "1", "messageID": "a"}], "content": {"text": "t"}}]},
        ),
        (
            SmsRequest,
            {
                "messages": [
                    {
                        "sender": "X",
                        "destinations": [{"to": "1"}],
                        "content": {"text": "t"},
                        "webhooks": {"delivery": {"url": "u", "contentType": "application/json"}},
                    }
                ]
            },
        ),
        (
            EmailRequest,
            {
                "messages": [
                    {
                        "sender": "a@b.c",
                        "destinations": [{"to": [{"destination": "d@e.f"}]}],
                        "content": {"subject": "s", "text": "t", "header": "{}"},
                    }
                ]
            },
        ),
    ],
)
def test_mistyped_field_is_caught(model, body):
    """The check fails for a misspelt or misplaced field, so it can catch a regression in our builder."""
    assert faithfulness_problems(model, body)


def test_sandbox_received_what_the_provider_sent(provider, infobip_sandbox):
    """Bodies as the sandbox received them are faithful and keep the List-Unsubscribe header."""
    provider.send("sms", sms(2), OPTIONS)
    provider.send("email", emails(2), OPTIONS)
    received = infobip_sandbox.received()
    assert [item["channel"] for item in received] == ["sms", "sms", "email", "email"]
    for item in received:
        model = SmsRequest if item["channel"] == "sms" else EmailRequest
        assert_faithful(model, {"messages": [item["message"]]})
    headers = json.loads(received[2]["message"]["content"]["headers"])
    assert headers == {
        "List-Unsubscribe": "<https://portal.example.com/u/0/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def _api(sandbox, method: str, path: str, **kwargs) -> requests.Response:
    headers = {"Authorization": f"App {sandbox.api_key}"}
    return requests.request(method, sandbox.url + path, headers=headers, timeout=10, **kwargs)


def test_sandbox_answers_match_official_models(infobip_sandbox, report_receiver):
    """Send answers, webhook reports, pulled reports, logs and errors all parse faithfully with the official models."""
    infobip_sandbox.configure(report_delay=0.05)
    sms_body = sms_request_body(sms(3), SendOptions(report_url=report_receiver.url), sender="OutageInfo")
    mail_body = email_request_body(emails(2), SendOptions(), sender=SENDERS["email"])
    assert_faithful(SmsResponse, _api(infobip_sandbox, "POST", "/sms/3/messages", json=sms_body).json())
    assert_faithful(EmailResponse, _api(infobip_sandbox, "POST", "/email/4/messages", json=mail_body).json())
    report_receiver.wait_for(3)
    infobip_sandbox.wait_for_reports()
    assert_faithful(SmsDeliveryResult, report_receiver.bodies[0])
    ids = [("messageId", "op-sms-0"), ("messageId", "op-sms-1")]
    assert_faithful(SmsLogsResponse, _api(infobip_sandbox, "GET", "/sms/3/logs", params=ids).json())
    logs = _api(infobip_sandbox, "GET", "/email/4/logs", params=[("messageId", "op-mail-0")]).json()
    assert_faithful(EmailLogsResponse, logs)
    pulled = _api(infobip_sandbox, "GET", "/email/4/reports").json()
    assert len(pulled["results"]) == 2
    assert_faithful(EmailReportsResult, pulled)
    error = _api(infobip_sandbox, "POST", "/sms/3/messages", json={"messages": []}).json()
    assert_faithful(ApiError, error)


def test_sandbox_email_webhook_report_matches_official_model(infobip_sandbox, report_receiver):
    """The email delivery report the sandbox POSTs is faithful to Infobip's email webhook model."""
    infobip_sandbox.configure(report_delay=0.05)
    body = email_request_body(
        emails(2, callback_data="cb"),
        SendOptions(report_url=report_receiver.url, reference="r"),
        sender=SENDERS["email"],
    )
    assert _api(infobip_sandbox, "POST", "/email/4/messages", json=body).status_code == 200
    report_receiver.wait_for(2)
    assert_faithful(EmailWebhookDLRReportResponse, report_receiver.bodies[0])
    assert {r["callbackData"] for r in report_receiver.results()} == {"cb"}

"""The second providers' webhooks: a Twilio status callback counts only with a valid ``X-Twilio-Signature``, a
Postmark event only with the webhook secret; a refused call changes nothing, a valid one moves the message."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest

from notifications.models import DeliveryReport, Message
from notifications.webhooks.twilio import twilio_signature
from tests.pipeline.factories import MessageFactory

pytestmark = pytest.mark.django_db
TOKEN = "twilio-auth-token"
BASE = "http://testserver"


@pytest.fixture
def message(settings):
    settings.TWILIO_AUTH_TOKEN = TOKEN
    settings.PORTAL_BASE_URL = BASE
    settings.INFOBIP_WEBHOOK_SECRETS = ["hook-secret"]
    return MessageFactory(state=Message.State.ACCEPTED, provider="twilio")


def _post(client, message, params, *, signature=None, url_id=None):
    path = f"/webhooks/twilio/status/?m={url_id or message.message_id}"
    items = list(params.items())
    sig = signature if signature is not None else twilio_signature(BASE + path, items, TOKEN)
    return client.post(
        path, data=urlencode(items), content_type="application/x-www-form-urlencoded", HTTP_X_TWILIO_SIGNATURE=sig
    )


PARAMS = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "SmsStatus": "delivered", "To": "+33611111111"}


def test_a_signed_callback_delivers_the_message(client, message):
    response = _post(client, message, PARAMS)
    assert response.status_code == 200, response.content
    message.refresh_from_db()
    assert message.state == Message.State.DELIVERED
    assert message.status_name == "TWILIO_DELIVERED"
    report = DeliveryReport.objects.get(message=message)
    assert "To" not in report.payload  # no phone number kept with the raw report


@pytest.mark.parametrize(
    "signature",
    ["", "bm90IGEgc2lnbmF0dXJl", "x" * 500],
)
def test_a_bad_signature_is_refused_and_changes_nothing(client, message, signature):
    assert _post(client, message, PARAMS, signature=signature).status_code == 403
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    assert not DeliveryReport.objects.exists()


def test_a_signature_for_other_values_is_refused(client, message):
    """Signed for "undelivered" but sent as "delivered"; or signed for another message id."""
    path = f"/webhooks/twilio/status/?m={message.message_id}"
    forged = twilio_signature(BASE + path, list({**PARAMS, "MessageStatus": "undelivered"}.items()), TOKEN)
    assert _post(client, message, PARAMS, signature=forged).status_code == 403
    other = twilio_signature(BASE + "/webhooks/twilio/status/?m=op-1", list(PARAMS.items()), TOKEN)
    assert _post(client, message, PARAMS, signature=other).status_code == 403
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED


def test_undelivered_and_unknown_statuses(client, message):
    assert _post(client, message, {**PARAMS, "MessageStatus": "bogus"}).status_code == 200
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    assert _post(client, message, {**PARAMS, "MessageStatus": "undelivered", "ErrorCode": "30003"}).status_code == 200
    message.refresh_from_db()
    assert message.state == Message.State.UNDELIVERABLE and message.error_code == "30003"


def test_not_a_form_is_refused(client, message):
    response = client.post(
        f"/webhooks/twilio/status/?m={message.message_id}", data="{}", content_type="application/json"
    )
    assert response.status_code == 400


def _postmark(client, body, password="hook-secret"):
    auth = "Basic " + base64.b64encode(f"postmark:{password}".encode()).decode()
    return client.post(
        "/webhooks/postmark/events/", data=body, content_type="application/json", HTTP_AUTHORIZATION=auth
    )


def test_postmark_events_need_the_secret(client, message):
    message.channel, message.provider = "email", "postmark"
    message.save()
    event = {"RecordType": "Delivery", "MessageID": "x", "Metadata": {"message_id": message.message_id}}
    assert _postmark(client, json.dumps(event), password="wrong").status_code == 401
    message.refresh_from_db()
    assert message.state == Message.State.ACCEPTED
    assert _postmark(client, "{not json").status_code == 400
    assert _postmark(client, json.dumps({**event, "RecordType": "Open"})).status_code == 200
    assert _postmark(client, json.dumps(event)).status_code == 200
    message.refresh_from_db()
    assert message.state == Message.State.DELIVERED
    bounce = {**event, "RecordType": "Bounce", "Type": "HardBounce"}
    message2 = MessageFactory(state=Message.State.ACCEPTED, channel="email", provider="postmark")
    bounce["Metadata"] = {"message_id": message2.message_id}
    assert _postmark(client, json.dumps(bounce)).status_code == 200
    message2.refresh_from_db()
    assert message2.state == Message.State.UNDELIVERABLE

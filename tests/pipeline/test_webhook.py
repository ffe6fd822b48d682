"""The delivery-report webhook: authentication before parsing, idempotence, orphans, junk, speed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from notifications.models import DeliveryReport, Message
from tests.pipeline.factories import MessageFactory, SendFactory

pytestmark = pytest.mark.django_db
URL = reverse("notifications:infobip_reports", args=["test-secret"])


def _item(message_id, group="DELIVERED", name="DELIVERED_TO_HANDSET", done="2026-03-01T12:00:00.000+0100"):
    return {
        "bulkId": "b",
        "messageId": message_id,
        "to": "33600000000",
        "sentAt": done,
        "doneAt": done,
        "messageCount": 1,
        "status": {"groupId": 3, "groupName": group, "id": 5, "name": name},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False},
    }


def _post(body, url=URL, **headers):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return HttpClient(enforce_csrf_checks=True).post(url, data=data, content_type="application/json", **headers)


def test_good_batch_applies_reports():
    """An authenticated SMS batch moves its messages to delivered and answers 200."""
    messages = MessageFactory.create_batch(3, state="accepted")
    response = _post({"results": [_item(m.message_id) for m in messages]})
    assert response.status_code == 200 and response.json()["applied"] == 3
    assert set(Message.objects.values_list("state", flat=True)) == {"delivered"}


def test_email_payload_shape_is_accepted():
    """Infobip's email report shape (smsCount, no messageCount) is accepted."""
    message = MessageFactory(state="accepted", channel="email")
    item = _item(message.message_id)
    item.pop("messageCount")
    item.update({"smsCount": 1, "attemptCount": 1, "sendingIp": "192.0.2.0"})
    assert _post({"results": [item]}).status_code == 200
    message.refresh_from_db()
    assert message.state == "delivered"


def test_duplicate_answers_200_and_changes_nothing():
    """Posting the same batch twice answers 200 both times, stores one raw row, applies once."""
    message = MessageFactory(state="accepted")
    body = {"results": [_item(message.message_id)]}
    assert _post(body).json()["applied"] == 1
    second = _post(body)
    assert second.status_code == 200 and second.json()["applied"] == 0
    assert DeliveryReport.objects.count() == 1


def test_out_of_order_pending_after_delivered_is_ignored():
    """A PENDING report arriving after DELIVERED does not move the message back."""
    message = MessageFactory(state="accepted")
    _post({"results": [_item(message.message_id)]})
    _post({"results": [_item(message.message_id, "PENDING", "PENDING_ENROUTE", "2026-03-01T11:00:00.000+0100")]})
    message.refresh_from_db()
    assert message.state == "delivered"


def test_orphans_answer_200():
    """Unknown message ids are kept as orphans and answered 200."""
    response = _post({"results": [_item("op-123456789"), _item("not-ours")]})
    assert response.status_code == 200 and response.json()["orphans"] == 2
    assert DeliveryReport.objects.filter(is_orphan=True).count() == 2


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        "[]",
        {"results": "x"},
        {"results": []},
        {"results": [1]},
        {"results": [{"status": {"groupName": "DELIVERED"}}]},
        {"results": [{"messageId": "op-1"}]},
        {"results": [{"messageId": "op-1", "status": {"groupName": "WHATEVER"}}]},
        {"results": [{"messageId": 5, "status": {"groupName": "DELIVERED"}}]},
        {"results": [{"messageId": "op-1", "status": {"groupName": "DELIVERED"}, "doneAt": "yesterday"}]},
        {"results": [{"messageId": "op-1", "status": {"groupName": "DELIVERED", "name": ["x"]}}]},
        {"results": [{"messageId": "x" * 300, "status": {"groupName": "DELIVERED"}}]},
    ],
)
def test_junk_answers_400_and_changes_nothing(body):
    """Malformed bodies answer 400, store nothing and move no message."""
    message = MessageFactory(state="accepted")
    response = _post(body)
    assert response.status_code == 400
    assert DeliveryReport.objects.count() == 0
    message.refresh_from_db()
    assert message.state == "accepted"


def test_one_bad_item_rejects_the_whole_batch():
    """A batch with one malformed report changes nothing at all."""
    message = MessageFactory(state="accepted")
    response = _post({"results": [_item(message.message_id), {"messageId": "op-2"}]})
    assert response.status_code == 400
    message.refresh_from_db()
    assert message.state == "accepted" and DeliveryReport.objects.count() == 0


def test_oversized_and_too_many_results_answer_400():
    """More than 100 reports, or a body over 1 MB, answer 400."""
    assert _post({"results": [_item(f"op-{i}") for i in range(101)]}).status_code == 400
    huge = json.dumps({"results": [_item("op-1")], "pad": "x" * (1024 * 1024)})
    assert _post(huge).status_code == 400
    assert DeliveryReport.objects.count() == 0


def test_wrong_or_missing_secret_answers_401_without_parsing():
    """A wrong URL token, no credentials or a bad signature answer 401 and store nothing."""
    message = MessageFactory(state="accepted")
    body = {"results": [_item(message.message_id)]}
    assert _post(body, url=reverse("notifications:infobip_reports", args=["wrong"])).status_code == 401
    assert _post(body, url=reverse("notifications:infobip_reports_plain")).status_code == 401
    assert _post(b"junk", url=reverse("notifications:infobip_reports", args=["wrong"])).status_code == 401
    assert (
        _post(
            body, url=reverse("notifications:infobip_reports_plain"), HTTP_X_HUB_SIGNATURE_256="sha256=" + "0" * 64
        ).status_code
        == 401
    )
    message.refresh_from_db()
    assert message.state == "accepted" and DeliveryReport.objects.count() == 0


def test_rotated_secret_still_works():
    """The older secret of the rotation list is still accepted."""
    message = MessageFactory(state="accepted")
    url = reverse("notifications:infobip_reports", args=["old-test-secret"])
    assert _post({"results": [_item(message.message_id)]}, url=url).status_code == 200


def test_basic_auth_and_hmac_without_url_token():
    """Basic auth or an HMAC-SHA256 of the body authenticate the token-less URL."""
    first, second = MessageFactory(state="accepted"), MessageFactory(state="accepted")
    url = reverse("notifications:infobip_reports_plain")
    basic = "Basic " + base64.b64encode(b"infobip:test-secret").decode()
    assert _post({"results": [_item(first.message_id)]}, url=url, HTTP_AUTHORIZATION=basic).status_code == 200
    body = json.dumps({"results": [_item(second.message_id)]}).encode()
    signature = hmac.new(b"test-secret", body, hashlib.sha256).hexdigest()
    assert _post(body, url=url, HTTP_X_HUB_SIGNATURE_256=f"sha256={signature}").status_code == 200
    assert set(Message.objects.values_list("state", flat=True)) == {"delivered"}


def test_get_is_not_allowed():
    """Only POST is accepted."""
    assert HttpClient().get(URL).status_code == 405


def test_hundred_reports_in_well_under_a_second():
    """A full batch of 100 reports is stored and applied in well under a second."""
    send = SendFactory()
    messages = MessageFactory.create_batch(100, send=send, state="accepted")
    body = {"results": [_item(m.message_id) for m in messages]}
    started = time.perf_counter()
    response = _post(body)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200 and response.json()["applied"] == 100
    assert elapsed < 0.5
    assert Message.objects.filter(state="delivered").count() == 100

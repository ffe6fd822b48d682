"""The public API's device registration: the company's app backend registers a client's FCM token, which opts the
client in to app notifications (unless they opted out before); bad input is a 400, never a 500; the token is never
echoed whole."""

from __future__ import annotations

import json

import pytest

from clients.consent import consent_set
from clients.models import ConsentEvent, DeviceToken
from tests.factories import ClientFactory
from tests.ops.factories import token_with

pytestmark = [pytest.mark.django_db]
TOKEN = "dQw4w9WgXcQ:APA91bH-example_token.1"


def _post(client, path: str, body: object, bearer: str):
    return client.post(
        path, data=json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {bearer}"
    )


def test_register_opts_in_and_remove_forgets(client):
    _token, bearer = token_with("can_register_devices")
    customer = ClientFactory(external_ref="CUST-1")
    answer = _post(client, "/api/v1/clients/CUST-1/devices", {"token": TOKEN, "platform": "android"}, bearer)
    assert answer.status_code == 201
    assert answer.json() == {"client": "CUST-1", "token_ends_with": TOKEN[-6:], "notifications": True}
    assert TOKEN not in answer.content.decode()
    device = DeviceToken.objects.get()
    assert device.client == customer and device.platform == "android" and device.gone_at is None
    assert ConsentEvent.objects.filter(client=customer, channel="apppush", action="given").count() == 1
    # Registering again changes nothing more; removing forgets the device.
    assert _post(client, "/api/v1/clients/CUST-1/devices", {"token": TOKEN}, bearer).status_code == 201
    assert DeviceToken.objects.count() == 1 and ConsentEvent.objects.filter(channel="apppush").count() == 1
    removed = _post(client, "/api/v1/clients/CUST-1/devices/remove", {"token": TOKEN}, bearer)
    assert removed.status_code == 200 and removed.json()["removed"] is True
    assert not DeviceToken.objects.exists()


def test_an_opt_out_is_not_undone_by_the_app(client):
    _token, bearer = token_with("can_register_devices")
    customer = ClientFactory(external_ref="CUST-2")
    consent_set(client=customer, channel="apppush", given=True, source="test")
    consent_set(client=customer, channel="apppush", given=False, source="preferences")
    answer = _post(client, "/api/v1/clients/CUST-2/devices", {"token": TOKEN}, bearer)
    assert answer.status_code == 201 and answer.json()["notifications"] is False


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"token": ""}, "token"),
        ({"token": "x" * 513}, "token"),
        ({"token": "has spaces"}, "token"),
        ({"token": 12}, "token"),
        ({"token": TOKEN, "platform": "symbian"}, "platform"),
        ({"token": TOKEN, "extra": 1}, "extra"),
    ],
)
def test_bad_input_is_a_400_at_its_field(client, body, path):
    _token, bearer = token_with("can_register_devices")
    ClientFactory(external_ref="CUST-3")
    answer = _post(client, "/api/v1/clients/CUST-3/devices", body, bearer)
    assert answer.status_code == 400
    assert path in {error["path"] for error in answer.json()["errors"]}
    assert not DeviceToken.objects.exists()


def test_permission_and_unknown_client(client):
    _token, drafts_only = token_with("can_create_draft")
    _token, bearer = token_with("can_register_devices", name="app")
    ClientFactory(external_ref="CUST-4")
    assert _post(client, "/api/v1/clients/CUST-4/devices", {"token": TOKEN}, drafts_only).status_code == 403
    assert _post(client, "/api/v1/clients/NOPE/devices", {"token": TOKEN}, bearer).status_code == 404
    assert _post(client, "/api/v1/clients/CUST-4/devices", {"token": TOKEN}, "wrong").status_code == 401
    assert client.get("/api/v1/clients/CUST-4/devices").status_code == 405

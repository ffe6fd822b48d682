"""The push providers against the sandbox over HTTP: what they send is proven, not assumed.

Web push: the body the sandbox recorded is decrypted with the browser's private ECDH key and auth secret
(``http_ece``, RFC 8291), and the VAPID JWT is verified against the portal's public key (RFC 8292). FCM: every
request body is valid against FCM v1's ``SendMessageRequest`` (tests/fixtures/fcm_v1_schema.json) and carries the
OAuth2 token the sandbox issued for the service account's JWT. A push service's 404/410 (FCM ``UNREGISTERED``)
retires that device only.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import http_ece
import jsonschema
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from clients.models import Client, DeviceToken, PushSubscription
from notifications.providers import channel_provider
from notifications.providers.base import OutboundMessage, SendOptions
from tests.factories import ClientFactory
from tests.fixtures.push import unb64url

pytestmark = [pytest.mark.django_db]
FCM_SCHEMA = json.loads((Path(__file__).parent.parent / "fixtures" / "fcm_v1_schema.json").read_text())


def _message(client: Client, channel: str, pk: int) -> OutboundMessage:
    return OutboundMessage(
        message_id=f"op-{pk}", channel=channel, destination=str(client.pk), subject="Fibre cut", text="Back by 18:00 ✓"
    )


def _verify_vapid(authorization: str, public_key: str, audience: str) -> dict:
    """RFC 8292: ``vapid t=<ES256 JWT>,k=<public key>``; the JWT is signed by the key named in ``k``."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    fields = dict(part.split("=", 1) for part in params.split(","))
    assert fields["k"] == public_key
    header_b64, claims_b64, signature_b64 = fields["t"].split(".")
    assert json.loads(unb64url(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    signature = unb64url(signature_b64)
    point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    point.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # raises when forged
    claims = json.loads(unb64url(claims_b64))
    assert claims["aud"] == audience
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    return claims


def test_web_push_payload_decrypts_with_the_browsers_keys_and_vapid_verifies(push, settings):
    client = ClientFactory()
    browser = push.browser("laptop-1")
    browser.subscribe(client)
    [result] = channel_provider("webpush").send("webpush", [_message(client, "webpush", 41)], SendOptions())
    assert result.accepted and result.message_id == "op-41"
    [record] = push.received()["webpush"]
    assert record["status"] == 201 and record["topic"] == "op-41" and record["urgency"] == "high"
    assert int(record["ttl"]) == settings.WEBPUSH_TTL_SECONDS
    plain = http_ece.decrypt(
        base64.b64decode(record["body"]), private_key=browser.key, auth_secret=browser.auth, version="aes128gcm"
    )
    assert json.loads(plain) == {
        "title": "Fibre cut",
        "body": "Back by 18:00 ✓",
        "tag": "op-41",
        "url": settings.PORTAL_BASE_URL + "/",
    }
    claims = _verify_vapid(record["authorization"], settings.VAPID_PUBLIC_KEY, push.sandbox.url)
    assert claims["sub"] == "mailto:ops@example.com"
    # Another browser's keys cannot read it: the encryption is per subscription.
    with pytest.raises(Exception):  # noqa: B017,PT011 - http_ece raises a bare ECEException or InvalidTag
        http_ece.decrypt(
            base64.b64decode(record["body"]),
            private_key=push.browser("other").key,
            auth_secret=browser.auth,
            version="aes128gcm",
        )


def test_410_retires_that_subscription_only(push):
    client, lonely = ClientFactory(), ClientFactory()
    push.browser("phone").subscribe(client)
    push.browser("old-laptop").subscribe(client)
    push.browser("only-one").subscribe(lonely)
    push.configure(gone=["old-laptop", "only-one"])
    results = channel_provider("webpush").send(
        "webpush", [_message(client, "webpush", 1), _message(lonely, "webpush", 2)], SendOptions()
    )
    by_id = {result.message_id: result for result in results}
    assert by_id["op-1"].accepted  # one live browser took it
    assert (
        not by_id["op-2"].accepted and by_id["op-2"].status_group == "REJECTED" and by_id["op-2"].error_code == "GONE"
    )
    gone = set(PushSubscription.objects.filter(gone_at__isnull=False).values_list("endpoint", flat=True))
    assert gone == {push.browsers["old-laptop"].endpoint, push.browsers["only-one"].endpoint}
    # A gone subscription is never tried again: the next send finds no device for that client.
    [again] = channel_provider("webpush").send("webpush", [_message(lonely, "webpush", 3)], SendOptions())
    assert again.error_code == "NO_DEVICE"
    assert len(push.received()["webpush"]) == 3


def test_fcm_bodies_match_the_v1_schema_and_unregistered_retires_the_token(push):
    client = ClientFactory()
    push.device(client, "tok-live:APA91b")
    push.device(client, "tok-dead:APA91b")
    push.configure(unregistered=["tok-dead:APA91b"])
    [result] = channel_provider("apppush").send("apppush", [_message(client, "apppush", 7)], SendOptions())
    assert result.accepted and result.provider_message_id.startswith("projects/outage-test/messages/")
    received = push.received()
    assert received["token_requests"] == 1  # one OAuth2 token, shared by both requests
    assert sorted(item["status"] for item in received["fcm"]) == [200, 404]
    for item in received["fcm"]:
        jsonschema.validate(item["body"], FCM_SCHEMA)
        message = item["body"]["message"]
        assert message["notification"] == {"title": "Fibre cut", "body": "Back by 18:00 ✓"}
        assert message["data"]["message_id"] == "op-7" and message["android"]["notification"]["tag"] == "op-7"
    assert list(DeviceToken.objects.filter(gone_at__isnull=False).values_list("token", flat=True)) == [
        "tok-dead:APA91b"
    ]


def test_fcm_schema_refuses_a_misspelt_field():
    body = {"message": {"token": "t", "notification": {"title": "a", "text": "b"}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(body, FCM_SCHEMA)

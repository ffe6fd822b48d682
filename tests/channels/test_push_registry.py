"""The push channels in the registry: offered only once configured (outage form, preference page), their skip
reasons and content rules, and the preference page's checkbox only for a client with a live browser or device."""

from __future__ import annotations

import pytest

from clients.channels import offered_channels
from clients.consent import consent_set
from clients.models import DeviceToken
from clients.public_forms import PreferencesForm
from clients.push import PushValueError, device_token_register, subscription_register
from clients.selectors import audience_counts, channel_reasons
from notifications.content import content_errors
from tests.factories import ClientFactory

P256DH = "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM"
AUTH = "tBHItJI5svbpez7KI4CCXg"


def test_offered_only_once_configured(settings):
    settings.VAPID_PRIVATE_KEY = settings.FCM_PROJECT_ID = ""
    assert not {"webpush", "apppush"} & set(offered_channels())
    settings.VAPID_PRIVATE_KEY = "k"
    settings.FCM_PROJECT_ID = "p"
    assert {"webpush", "apppush"} <= set(offered_channels())
    assert channel_reasons("webpush") == ("inactive", "no_browser", "opted_out", "muted_kind")
    assert channel_reasons("apppush") == ("inactive", "no_device", "opted_out", "muted_kind")


def test_content_needs_a_title_and_a_text(settings):
    settings.VAPID_PRIVATE_KEY = "k"
    errors = content_errors({"en": {"webpush": {"title": "", "text": "x" * 601}}}, ["webpush"])
    assert "en.webpush.title" in errors and "600" in errors["en.webpush.text"]


@pytest.mark.django_db
def test_audience_counts_and_the_preference_checkbox(settings):
    settings.VAPID_PRIVATE_KEY = "k"
    settings.FCM_PROJECT_ID = "p"
    settings.WEBPUSH_ALLOW_PRIVATE = True
    with_browser, with_device, nothing = ClientFactory(), ClientFactory(), ClientFactory()
    subscription_register(client=with_browser, endpoint="http://127.0.0.1:9/push/1", p256dh=P256DH, auth=AUTH)
    device_token_register(client=with_device, token="abc:DEF")
    counts = audience_counts({"builtin": ["all_clients"]}, ["webpush", "apppush"])
    assert counts.per_channel["webpush"].eligible == 1
    assert counts.per_channel["webpush"].excluded["no_browser"] == 2
    assert counts.per_channel["apppush"].eligible == 1
    assert "webpush" in PreferencesForm(client=with_browser).fields
    assert "webpush" not in PreferencesForm(client=nothing).fields
    assert "apppush" in PreferencesForm(client=with_device).fields
    # A gone device no longer counts; an opt-out is not undone by the app registering again.
    DeviceToken.objects.update(gone_at="2026-01-01T00:00:00Z")
    assert audience_counts({"builtin": ["all_clients"]}, ["apppush"]).per_channel["apppush"].eligible == 0
    consent_set(client=with_device, channel="apppush", given=False, source="preferences")
    device_token_register(client=with_device, token="abc:DEF")
    with_device.refresh_from_db()
    assert with_device.apppush_consent is False


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("endpoint", "p256dh", "auth", "allow_private"),
    [
        ("https://127.0.0.1/push/1", P256DH, AUTH, False),  # a private address in production
        ("http://push.example.com/1", P256DH, AUTH, False),  # not https
        ("https://user:pw@fcm.googleapis.com/x", P256DH, AUTH, True),  # credentials in the URL
        ("https://fcm.googleapis.com/" + "x" * 1100, P256DH, AUTH, True),  # too long
        ("https://fcm.googleapis.com/x", "AAAA", AUTH, True),  # not a P-256 point
        ("https://fcm.googleapis.com/x", P256DH, "AAAA", True),  # not a 16-byte secret
    ],
)
def test_bad_subscriptions_are_refused(settings, endpoint, p256dh, auth, allow_private):
    settings.WEBPUSH_ALLOW_PRIVATE = allow_private
    with pytest.raises(PushValueError):
        subscription_register(client=ClientFactory(), endpoint=endpoint, p256dh=p256dh, auth=auth)


@pytest.mark.django_db
def test_allowlist(settings):
    settings.WEBPUSH_ALLOW_PRIVATE = True
    settings.WEBPUSH_ALLOWED_HOSTS = ["push.services.mozilla.com"]
    with pytest.raises(PushValueError):
        subscription_register(client=ClientFactory(), endpoint="https://evil.example/x", p256dh=P256DH, auth=AUTH)
    ok = subscription_register(
        client=ClientFactory(),
        endpoint="https://updates.push.services.mozilla.com/wpush/v2/x",
        p256dh=P256DH,
        auth=AUTH,
    )
    assert ok.pk

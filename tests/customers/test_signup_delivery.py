"""Sign-up confirmations go out through the real provider: what the Infobip sandbox received."""

import re

import pytest

from clients.models import SignupRequest
from notifications import signup_delivery
from notifications.providers import reset_providers
from tests.customers import outbox


@pytest.fixture
def real_sender(settings, sandbox_settings, monkeypatch):
    """The real delivery, the Infobip provider, pointed at the sandbox."""
    monkeypatch.setattr(signup_delivery, "deliver", outbox.real_deliver)
    settings.NOTIFICATIONS_PROVIDER = "notifications.providers.infobip.InfobipProvider"
    reset_providers()
    yield sandbox_settings
    reset_providers()


@pytest.mark.django_db
def test_link_by_email_and_code_by_sms_reach_the_provider(client, real_sender, django_capture_on_commit_callbacks):
    """A sign-up with both contacts sends a French email with the link and an SMS with a 6-digit code."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/c/signup/",
            {"account_ref": "X-1", "name": "Léa", "email": "lea@x.example", "phone": "+33612345670", "language": "fr"},
        )
    assert response.status_code == 302
    received = {entry["channel"]: entry["message"] for entry in real_sender.received()}
    assert set(received) == {"sms", "email"}
    email = received["email"]
    assert email["destinations"][0]["to"][0]["destination"] == "lea@x.example"
    assert email["content"]["subject"] == "Confirmez vos avis d'incident"
    link = re.search(r"https?://\S+/c/signup/confirm/\S+/", email["content"]["text"]).group(0)
    assert f'href="{link}"' in email["content"]["html"]
    sms = received["sms"]
    assert sms["destinations"][0]["to"].lstrip("+") == "33612345670"
    code = re.search(r"\b(\d{6})\b", sms["content"]["text"]).group(1)
    signup = SignupRequest.objects.get()
    assert code not in signup.code_hash and signup.state == SignupRequest.State.PENDING

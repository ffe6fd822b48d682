"""The one-click headers as the Infobip sandbox received them from a real worker, and that they work end to end."""

from __future__ import annotations

import json
import time

import pytest
import requests

from clients.models import ConsentEvent
from notifications.models import Message
from notifications.services.sends import send_create
from tests.factories import ClientFactory

CONTENT = {
    "en": {
        "sms": {"text": "{{ incident_title }}"},
        "email": {
            "subject": "{{ incident_title }}",
            "text": "Dear {{ client_name }}, {{ incident_title }}.",
            "html": "<p>Dear {{ client_name }}</p>",
        },
    },
    "fr": {
        "sms": {"text": "{{ incident_title }}"},
        "email": {
            "subject": "{{ incident_title }}",
            "text": "Bonjour {{ client_name }}, {{ incident_title }}.",
            "html": "<p>Bonjour {{ client_name }}</p>",
        },
    },
}


def _received_emails(sandbox, count: int, worker, timeout: float = 60) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        emails = [entry["message"] for entry in sandbox.received() if entry["channel"] == "email"]
        if len(emails) >= count:
            return emails
        if time.monotonic() > deadline:
            pytest.fail(f"the sandbox received {len(emails)} of {count} emails\n{worker.log_tail()}")
        time.sleep(0.3)


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.timeout(180)
def test_every_email_carries_working_one_click_headers(celery_worker_process, infobip_sandbox):
    """Each email the sandbox received has List-Unsubscribe (<https…/c/unsubscribe/…/>) and List-Unsubscribe-Post;
    a mail client's one-click POST to that URL opts exactly that client out of email."""
    first = ClientFactory(language="en")
    second = ClientFactory(language="fr")
    send = send_create(
        label="headers",
        channels=["email"],
        audience={"clients": [first.pk, second.pk]},
        content=CONTENT,
        variables={"incident_title": "Fibre cut"},
    )
    emails = _received_emails(infobip_sandbox, 2, celery_worker_process)

    by_destination = {}
    for email in emails:
        [destination] = [to["destination"] for group in email["destinations"] for to in group["to"]]
        headers = json.loads(email["content"]["headers"])
        by_destination[destination] = headers
    assert set(by_destination) == {first.email, second.email}
    for headers in by_destination.values():
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        value = headers["List-Unsubscribe"]
        assert value.startswith("<http") and value.endswith("/>") and "/c/unsubscribe/" in value

    url = by_destination[second.email]["List-Unsubscribe"][1:-1]
    response = requests.post(
        url,
        data="List-Unsubscribe=One-Click",
        timeout=10,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert "Vous êtes désinscrit" in response.text
    second.refresh_from_db()
    first.refresh_from_db()
    assert (second.email_consent, first.email_consent) == (False, True)
    assert ConsentEvent.objects.get().source == "unsubscribe_link"
    assert Message.objects.filter(send=send, channel="email").count() == 2

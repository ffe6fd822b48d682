"""SMS STOP / START through the authenticated inbound webhook (Infobip's MO_JSON_2 format)."""

import json

import pytest

from clients.inbound import keyword_action
from clients.models import ConsentEvent
from notifications.models import Reply
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db
URL = "/webhooks/infobip/inbound/test-secret/"


def _payload(text: str, sender: str = "33612345678", message_id: str = "817790313235066447") -> str:
    return json.dumps(
        {
            "results": [
                {
                    "messageId": message_id,
                    "from": sender,
                    "to": "33700000000",
                    "text": text,
                    "cleanText": text,
                    "keyword": text.split()[0] if text.split() else "",
                    "receivedAt": "2026-11-27T10:00:00.000+0000",
                    "smsCount": 1,
                }
            ],
            "messageCount": 1,
            "pendingMessageCount": 0,
        }
    )


@pytest.mark.parametrize(
    "text",
    ["STOP", "stop", " Stop ", "stop.", "S T O P", "StopAll", "stop all", "UNSUBSCRIBE", "cancel", "End", "quit!"],
)
def test_stop_variants_opt_out_every_client_with_that_number(client, text):
    """Every STOP synonym, whatever the case, spacing or punctuation, withdraws SMS for all holders of the number."""
    first = ClientFactory(phone="+33612345678")
    second = ClientFactory(phone="+33612345678")
    other = ClientFactory(phone="+33698765432")
    response = client.post(URL, _payload(text), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["opted_out"] == 2
    for customer, consent in ((first, False), (second, False), (other, True)):
        customer.refresh_from_db()
        assert customer.sms_consent is consent
        assert customer.email_consent is True
    event = ConsentEvent.objects.filter(client=first).get()
    assert (event.source, event.detail, event.action) == ("sms_stop", "inbound 817790313235066447", "withdrawn")


def test_start_opts_back_in_and_repeats_are_idempotent(client):
    """START gives SMS consent back; a repeated delivery of the same message changes nothing more."""
    customer = ClientFactory(phone="+33612345678")
    client.post(URL, _payload("STOP"), content_type="application/json")
    client.post(URL, _payload("Start", message_id="2"), content_type="application/json")
    again = client.post(URL, _payload("Start", message_id="2"), content_type="application/json")
    assert again.status_code == 200 and again.json()["opted_in"] == 0
    customer.refresh_from_db()
    assert customer.sms_consent is True
    assert list(ConsentEvent.objects.order_by("id").values_list("action", flat=True)) == ["withdrawn", "given"]


def test_other_texts_change_no_consent_and_are_kept_as_replies(client):
    """A message that is not a keyword changes no consent; it is kept as a reply (unmatched: nothing was sent)."""
    customer = ClientFactory(phone="+33612345678")
    response = client.post(URL, _payload("When will the internet be back?"), content_type="application/json")
    assert response.status_code == 200 and response.json()["unmatched"] == 1
    customer.refresh_from_db()
    assert customer.sms_consent is True
    reply = Reply.objects.get()
    assert (reply.client, reply.message, reply.sender, reply.keyword) == (customer, None, "+33612345678", "")


def test_unauthenticated_requests_are_refused(client):
    """A wrong URL token, or none and no other credential, is refused before anything is read."""
    customer = ClientFactory(phone="+33612345678")
    assert (
        client.post("/webhooks/infobip/inbound/wrong/", _payload("STOP"), content_type="application/json").status_code
        == 403
    )
    assert (
        client.post("/webhooks/infobip/inbound/", _payload("STOP"), content_type="application/json").status_code == 403
    )
    customer.refresh_from_db()
    assert customer.sms_consent is True


def test_basic_auth_without_url_token_is_accepted(client):
    """Basic auth with a configured secret authenticates the token-less URL."""
    import base64

    ClientFactory(phone="+33612345678")
    credentials = base64.b64encode(b"infobip:old-test-secret").decode()
    response = client.post(
        "/webhooks/infobip/inbound/",
        _payload("STOP"),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {credentials}",
    )
    assert response.status_code == 200 and response.json()["opted_out"] == 1


@pytest.mark.parametrize("body", ["not json", "[]", '{"results": "x"}', '{"results": [1, 2]}', "{}", ""])
def test_junk_is_answered_400(client, body):
    """Bodies that are not an inbound document get 400, never a 5xx."""
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400


def test_unknown_or_malformed_sender_is_ignored(client):
    """A number nobody holds, or garbage in "from", is acknowledged and ignored."""
    ClientFactory(phone="+33612345678")
    assert (
        client.post(URL, _payload("STOP", sender="447700900123"), content_type="application/json").json()["opted_out"]
        == 0
    )
    assert client.post(URL, _payload("STOP", sender="abc"), content_type="application/json").status_code == 200
    assert not ConsentEvent.objects.exists()


def test_keyword_action_does_not_match_sentences():
    """Only a message that is the keyword counts: "stop" inside a sentence is not an opt-out."""
    assert keyword_action("please don't stop the service") == ""
    assert keyword_action("STOP") == "stop"
    assert keyword_action("start ") == "start"

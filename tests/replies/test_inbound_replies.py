"""Replies through the authenticated inbound webhooks: attached to the notice the sender last received on that
channel, stored once, keywords honoured per configured language with one confirmation, junk refused untouched."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from clients.models import ConsentEvent
from notifications.models import Message, Reply, Send
from notifications.replies.confirm import confirmation_text
from tests.factories import ClientFactory
from tests.pipeline.factories import MessageFactory, SendFactory

pytestmark = pytest.mark.django_db
SMS_URL = "/webhooks/infobip/inbound/test-secret/"
MESSAGES_URL = "/webhooks/infobip/messages-inbound/test-secret/"
NUMBER = "+33612345678"


def sms(text: str, message_id: str = "mo-1", sender: str = "33612345678") -> str:
    result = {"messageId": message_id, "from": sender, "to": "33700000000", "text": text, "cleanText": text}
    return json.dumps({"results": [{**result, "receivedAt": "2026-11-30T10:00:00.000+0000"}], "messageCount": 1})


def messages_api(content: list, channel: str = "WHATSAPP", message_id: str = "wa-1") -> str:
    result = {
        "channel": channel,
        "sender": "33612345678",
        "destination": "447860099299",
        "content": content,
        "receivedAt": "2026-11-30T10:00:00.000+00:00",
        "messageId": message_id,
        "messageCount": 1,
        "event": "MO",
    }
    return json.dumps({"results": [result]})


def sent(customer, channel: str = "sms", minutes_ago: int = 5) -> Message:
    send = SendFactory(channels=[channel])
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return MessageFactory(send=send, client=customer, channel=channel, destination=NUMBER, accepted_at=at)


def post(client, url: str, body: str):
    return client.post(url, body, content_type="application/json")


def test_sms_reply_matches_the_latest_sms_not_an_older_one_nor_another_channel(client):
    customer = ClientFactory(phone=NUMBER, whatsapp_consent=True)
    older, latest = sent(customer, minutes_ago=60), sent(customer, minutes_ago=10)
    sent(customer, channel="whatsapp", minutes_ago=1)
    response = post(client, SMS_URL, sms(" 1. "))
    assert response.status_code == 200 and response.json()["matched"] == 1
    reply = Reply.objects.get()
    assert (reply.message, reply.client, reply.answer, reply.text) == (latest, customer, "1", " 1. ")
    assert reply.message != older


def test_whatsapp_button_reply_matches_the_whatsapp_message(client):
    customer = ClientFactory(phone=NUMBER, whatsapp_consent=True)
    sent(customer, minutes_ago=1)
    whatsapp = sent(customer, channel="whatsapp", minutes_ago=30)
    body = messages_api([{"type": "BUTTON_REPLY", "text": "Yes", "payload": "yes"}])
    assert post(client, MESSAGES_URL, body).json()["matched"] == 1
    reply = Reply.objects.get()
    assert (reply.channel, reply.message, reply.answer) == ("whatsapp", whatsapp, "YES")


def test_infobip_paired_message_id_names_the_message_answered(client):
    """pairedMessageId wins over "the latest" when it is ours, on this channel, to this number; else it is ignored."""
    customer = ClientFactory(phone=NUMBER, whatsapp_consent=True)
    older, latest = sent(customer, channel="whatsapp", minutes_ago=60), sent(customer, channel="whatsapp")
    other = sent(ClientFactory(phone="+33699999999", whatsapp_consent=True), channel="whatsapp")
    for n, paired in enumerate([older.message_id, other.message_id, "not-ours-7"]):
        body = json.loads(messages_api([{"type": "TEXT", "text": "1", "cleanText": "1"}], message_id=f"wa-{n}"))
        body["results"][0]["pairedMessageId"] = paired
        post(client, MESSAGES_URL, json.dumps(body))
    assert list(Reply.objects.order_by("inbound_id").values_list("message", flat=True)) == [
        older.pk,
        latest.pk,
        latest.pk,
    ]


def test_viber_text_and_events_that_are_not_messages(client):
    customer = ClientFactory(phone=NUMBER, viber_consent=True)
    viber = sent(customer, channel="viber")
    body = json.loads(messages_api([{"type": "TEXT", "text": "2"}], channel="VIBER_BM", message_id="vb-1"))
    body["results"].append({**body["results"][0], "event": "TYPING_STARTED", "messageId": "vb-2"})
    body["results"].append({**body["results"][0], "content": [{"type": "IMAGE", "url": "x"}], "messageId": "vb-3"})
    answer = post(client, MESSAGES_URL, json.dumps(body)).json()
    assert answer["received"] == 1 and Reply.objects.get().message == viber


def test_a_repeated_delivery_is_stored_once(client):
    sent(ClientFactory(phone=NUMBER))
    post(client, SMS_URL, sms("1"))
    again = post(client, SMS_URL, sms("1"))
    assert again.status_code == 200 and again.json()["duplicates"] == 1
    assert Reply.objects.count() == 1


def test_old_messages_and_unknown_numbers_leave_the_reply_unmatched(client, settings):
    settings.REPLY_MATCH_DAYS = 1
    sent(ClientFactory(phone=NUMBER), minutes_ago=3 * 24 * 60)
    assert post(client, SMS_URL, sms("1")).json()["unmatched"] == 1
    assert post(client, SMS_URL, sms("1", message_id="mo-2", sender="447700900123")).json()["unmatched"] == 1
    assert list(Reply.objects.values_list("message", flat=True)) == [None, None]


@pytest.mark.parametrize(
    ("text", "language", "languages"),
    [("STOP", "en", "en"), ("Arrêt", "fr", "en,fr"), ("stopp", "de", "en,de"), ("baja", "es", "en,es")],
)
def test_opt_out_keywords_per_configured_language_with_one_confirmation(client, settings, text, language, languages):
    settings.LANGUAGES = [(code, code) for code in languages.split(",")]
    customer = ClientFactory(phone=NUMBER, language=language)
    sent(customer)
    answer = post(client, SMS_URL, sms(text)).json()
    assert (answer["opted_out"], answer["confirmations"]) == (1, 1)
    customer.refresh_from_db()
    assert customer.sms_consent is False
    assert ConsentEvent.objects.get().source == "sms_stop"
    confirmation = Message.objects.get(send__reference__startswith="reply-confirmation")
    assert (confirmation.client, confirmation.channel, confirmation.state) == (customer, "sms", "pending")
    assert confirmation.send.content[language]["sms"]["text"] == confirmation_text("stop", language)
    assert confirmation.send.state == Send.State.SENDING and confirmation.send.mandatory  # not frequency-capped
    # The same STOP again (Infobip's retry, or the customer insisting) changes nothing and confirms nothing.
    again = post(client, SMS_URL, sms(text, message_id="mo-2")).json()
    assert (again["opted_out"], again["confirmations"]) == (0, 0)


def test_a_language_that_is_not_configured_is_not_a_keyword(client, settings):
    settings.LANGUAGES = [("en", "English"), ("fr", "Français")]
    customer = ClientFactory(phone=NUMBER)
    assert post(client, SMS_URL, sms("BAJA")).json()["opted_out"] == 0
    customer.refresh_from_db()
    assert customer.sms_consent is True


def test_confirmations_are_translated():
    assert "START" in confirmation_text("stop", "en")
    assert confirmation_text("stop", "fr").startswith("Vous ne recevrez plus")
    assert confirmation_text("start", "de").startswith("Sie erhalten unsere Meldungen")


def test_whatsapp_stop_withdraws_whatsapp_only(client):
    customer = ClientFactory(phone=NUMBER, whatsapp_consent=True)
    sent(customer, channel="whatsapp")
    answer = post(client, MESSAGES_URL, messages_api([{"type": "TEXT", "text": "stop"}])).json()
    assert answer["opted_out"] == 1
    customer.refresh_from_db()
    assert (customer.whatsapp_consent, customer.sms_consent) == (False, True)


def test_confirmations_are_limited_per_number(client, settings):
    settings.REPLY_CONFIRMATIONS_PER_DAY = 2
    ClientFactory(phone=NUMBER)
    for n, word in enumerate(["STOP", "START", "STOP", "START", "STOP"]):
        post(client, SMS_URL, sms(word, message_id=f"mo-{n}"))
    assert ConsentEvent.objects.count() == 5
    assert Send.objects.filter(reference__startswith="reply-confirmation").count() == 2


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        "{}",
        '{"results": [1]}',
        '{"results": [{"from": "33612345678", "text": "1"}]}',
        json.dumps({"results": [{"messageId": "x" * 201, "from": "33612345678", "text": "1"}]}),
        json.dumps({"results": [{"messageId": f"m{n}", "from": "33612345678", "text": "1"} for n in range(101)]}),
    ],
)
@pytest.mark.parametrize("url", [SMS_URL, MESSAGES_URL])
def test_junk_is_answered_400_and_nothing_is_stored(client, body, url):
    sent(ClientFactory(phone=NUMBER))
    assert post(client, url, body).status_code == 400
    assert not Reply.objects.exists() and not ConsentEvent.objects.exists()


def test_messages_api_junk_channel_and_content_are_400(client):
    assert (
        post(client, MESSAGES_URL, messages_api([{"type": "TEXT", "text": "1"}], channel="PIGEON")).status_code == 400
    )
    assert post(client, MESSAGES_URL, messages_api("text")).status_code == 400  # type: ignore[arg-type]
    assert not Reply.objects.exists()


def test_a_batch_with_one_bad_message_stores_nothing(client):
    body = json.loads(sms("1"))
    body["results"].append({"messageId": "mo-2", "from": ["not", "text"], "text": "STOP"})
    assert post(client, SMS_URL, json.dumps(body)).status_code == 400
    assert not Reply.objects.exists()


@pytest.mark.parametrize("url", ["/webhooks/infobip/inbound/wrong/", "/webhooks/infobip/messages-inbound/wrong/"])
def test_unauthenticated_inbound_is_refused_and_nothing_is_stored(client, url):
    sent(ClientFactory(phone=NUMBER))
    assert post(client, url, sms("STOP")).status_code == 403
    assert post(client, url.replace("wrong/", ""), sms("STOP")).status_code == 403
    assert not Reply.objects.exists() and not ConsentEvent.objects.exists()


def test_oversized_body_is_refused(client):
    body = sms("1" * 2_000_000)
    assert post(client, SMS_URL, body).status_code in (400, 413)
    assert not Reply.objects.exists()

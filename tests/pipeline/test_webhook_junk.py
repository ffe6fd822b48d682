"""What an outside probe sent the provider webhooks: each answers a clear 4xx, changes nothing, and never a 5xx.

The delivery-report webhook and the inbound-SMS webhook read JSON from anyone who knows (or guesses at) their
URL. Deep nesting, numbers JSON does not have, NUL characters and lone surrogates (which PostgreSQL refuses),
message ids with non-ASCII digits, dates outside any calendar PostgreSQL and Python share: refused before any
query. The inbound webhook answers 5xx when it fails on a well-formed message, so Infobip retries a STOP instead
of losing it.
"""

from __future__ import annotations

import json
from unittest import mock

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from clients.models import Client, ConsentEvent
from notifications.models import DeliveryReport, pk_from_message_id
from tests.factories import ClientFactory
from tests.pipeline.factories import MessageFactory

pytestmark = pytest.mark.django_db
REPORTS = reverse("notifications:infobip_reports", args=["test-secret"])
INBOUND = "/webhooks/infobip/inbound/test-secret/"


def _item(message_id: str, **changes: object) -> dict:
    item = {
        "bulkId": "b",
        "messageId": message_id,
        "to": "33600000000",
        "doneAt": "2026-03-01T12:00:00.000+0100",
        "messageCount": 1,
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False},
    }
    item.update(changes)
    return item


def _raw(template: dict, **literals: str) -> bytes:
    """``template`` as JSON with placeholders replaced by raw JSON text (what json.dumps cannot write)."""
    text = json.dumps(template)
    for name, literal in literals.items():
        text = text.replace(f'"<{name}>"', literal)
    return text.encode()


def _post(url: str, body: bytes, **headers: str):
    return HttpClient().post(url, data=body, content_type="application/json", **headers)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


REPORT_JUNK = {
    "nested 100,000 deep": lambda mid: _raw({"results": [_item(mid, price="<deep>")]}, deep=_deep(100_000)),
    "nested 900 deep inside a valid item": lambda mid: _raw({"results": [_item(mid, price="<deep>")]}, deep=_deep(900)),
    "non-ASCII digits in an id of ours": lambda mid: json.dumps({"results": [_item("op-²")]}).encode(),
    "Arabic-Indic digits in an id of ours": lambda mid: json.dumps({"results": [_item("op-١٢")]}).encode(),
    "doneAt in year 0": lambda mid: json.dumps({"results": [_item(mid, doneAt="0000-01-01T00:00:00.000+0000")]}).encode(),
    "doneAt in year 99999": lambda mid: json.dumps({"results": [_item(mid, doneAt="99999-01-01T00:00:00+00:00")]}).encode(),
    "doneAt in year 1, before UTC": lambda mid: json.dumps({"results": [_item(mid, doneAt="0001-01-01T00:00:00.000+0100")]}).encode(),
    "doneAt past 9999 in UTC": lambda mid: json.dumps({"results": [_item(mid, doneAt="9999-12-31T23:59:59.000-2359")]}).encode(),
    "doneAt with a 23:59 offset": lambda mid: json.dumps({"results": [_item(mid, doneAt="2026-01-01T00:00:00.000+2359")]}).encode(),
    "doneAt with a 99:59 offset": lambda mid: json.dumps({"results": [_item(mid, doneAt="2026-01-01T00:00:00.000+9959")]}).encode(),
    "a lone surrogate in the id": lambda mid: _raw({"results": [_item("<id>")]}, id='"op-\\ud800"'),
    "a lone surrogate in the status": lambda mid: _raw({"results": [_item(mid, status={"groupName": "DELIVERED", "name": "<n>"})]}, n='"\\udfff"'),
    "a lone surrogate in a field we only store": lambda mid: _raw({"results": [_item(mid, to="<to>")]}, to='"\\ud83d"'),
    "a lone surrogate as a key": lambda mid: _raw({"results": [_item(mid, price={"<k>": 1})]}).replace(b'"<k>"', b'"\\ud800"'),
    "NUL in the id": lambda mid: _raw({"results": [_item("<id>")]}, id=f'"{mid}\\u0000"'),
    "NUL in a field we only store": lambda mid: _raw({"results": [_item(mid, to="<to>")]}, to='"3360\\u0000"'),
    "NaN": lambda mid: _raw({"results": [_item(mid, price="<p>")]}, p="NaN"),
    "Infinity": lambda mid: _raw({"results": [_item(mid, price="<p>")]}, p="-Infinity"),
    "a number past float range": lambda mid: _raw({"results": [_item(mid, price="<p>")]}, p="1e999"),
}  # fmt: skip


@pytest.mark.parametrize("junk", REPORT_JUNK, ids=list(REPORT_JUNK))
def test_report_webhook_refuses_junk_with_400_and_changes_nothing(junk):
    """Each probe finding answers 400 with a reason, stores no report and moves no message."""
    message = MessageFactory(state="accepted")
    response = _post(REPORTS, REPORT_JUNK[junk](message.message_id))
    assert response.status_code == 400, response.content
    assert response.json()["error"]
    assert DeliveryReport.objects.count() == 0
    message.refresh_from_db()
    assert message.state == "accepted" and message.done_at is None


def test_a_valid_surrogate_pair_and_non_ascii_text_are_fine():
    """Escaped emoji (a surrogate pair) and accented text are ordinary JSON: the batch is applied."""
    message = MessageFactory(state="accepted")
    body = _raw({"results": [_item(message.message_id, to="<to>", status={"groupName": "DELIVERED", "name": "é"})]})
    body = body.replace(b'"<to>"', b'"\\ud83d\\ude00 caf\\u00e9"')
    response = _post(REPORTS, body)
    assert response.status_code == 200, response.content
    message.refresh_from_db()
    assert message.state == "delivered"


@pytest.mark.parametrize("value", ["op-²", "op-١٢", "op-1²", "op-\ud800", "op-", "op--1", "op-1" + "0" * 30])
def test_message_ids_that_are_not_ours_map_to_no_row(value):
    """Only ASCII digits after our prefix name a row; anything else is not ours (and never an error)."""
    assert pk_from_message_id(value) is None


def test_bad_content_length_answers_400():
    """A Content-Length that is not a number is refused before anything is read."""
    assert _post(REPORTS, b"{}", CONTENT_LENGTH="²").status_code == 400
    assert _post(INBOUND, b"{}", CONTENT_LENGTH="x").status_code == 400


def _inbound(text: str = "STOP", sender: str = "33612345678", message_id: str = "1") -> dict:
    return {"results": [{"messageId": message_id, "from": sender, "to": "4470", "text": text}], "messageCount": 1}


INBOUND_JUNK = {
    "nested 100,000 deep": _raw({"results": "<deep>"}, deep=_deep(100_000)),
    "nested 900 deep inside a valid message": _raw(
        {"results": [{**_inbound()["results"][0], "price": "<deep>"}]}, deep=_deep(900)
    ),
    "NUL in the message id": _raw({"results": [{**_inbound()["results"][0], "messageId": "<id>"}]}, id='"1\\u0000"'),
    "a lone surrogate in the message id": _raw(
        {"results": [{**_inbound()["results"][0], "messageId": "<id>"}]}, id='"\\ud800"'
    ),
    "a lone surrogate in the text": _raw({"results": [{**_inbound()["results"][0], "text": "<t>"}]}, t='"STOP\\udc00"'),
    "NaN": _raw({"results": [{**_inbound()["results"][0], "price": "<p>"}]}, p="NaN"),
    "more results than a batch holds": json.dumps({"results": _inbound()["results"] * 101}).encode(),
    "over a megabyte": json.dumps({**_inbound(), "pad": "x" * (1024 * 1024)}).encode(),
}


@pytest.mark.parametrize("junk", INBOUND_JUNK, ids=list(INBOUND_JUNK))
def test_inbound_webhook_refuses_junk_with_400_and_changes_nothing(junk):
    """Junk is answered 400 (Infobip need not retry it) and no consent changes."""
    customer = ClientFactory(phone="+33612345678")
    response = _post(INBOUND, INBOUND_JUNK[junk])
    assert response.status_code == 400, response.content
    customer.refresh_from_db()
    assert customer.sms_consent is True and not ConsentEvent.objects.exists()


def test_inbound_internal_error_answers_5xx_so_the_stop_is_retried():
    """A well-formed STOP that fails inside (here: the database refuses the write) answers 5xx and changes nothing;
    Infobip's retry then applies it."""
    customer = ClientFactory(phone="+33612345678")
    with mock.patch("clients.consent.ConsentEvent.objects.create", side_effect=RuntimeError("database gone")):
        failed = _post(INBOUND, json.dumps(_inbound()).encode())
    assert failed.status_code >= 500 and "database gone" not in failed.content.decode()
    customer.refresh_from_db()
    assert customer.sms_consent is True and not ConsentEvent.objects.exists()
    retried = _post(INBOUND, json.dumps(_inbound()).encode())
    assert retried.status_code == 200 and retried.json()["opted_out"] == 1
    assert Client.objects.get(pk=customer.pk).sms_consent is False

"""Property tests of the two provider webhooks against junk: no body and no headers make them answer 5xx, and a
refused request changes nothing.

Hypothesis builds otherwise valid delivery reports and inbound messages with one field replaced by junk (any
Unicode including NUL and lone surrogates, digits of every script, numbers JSON has not got, dates of any year and
offset, deep nesting), whole junk documents and bytes, and junk headers (Authorization, signatures,
Content-Length) and URL tokens. Whatever is accepted must also be readable back from the database.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from django.test import Client as HttpClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Client, ConsentEvent
from notifications.models import DeliveryReport, Message
from tests.factories import ClientFactory
from tests.pipeline.factories import MessageFactory, SendFactory

pytestmark = [pytest.mark.reliability, pytest.mark.postgres, pytest.mark.django_db]
REPORTS = "/webhooks/infobip/reports/{token}/"
INBOUND = "/webhooks/infobip/inbound/{token}/"
PHONE = "+33612345678"

any_text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=30)
digits = st.text(alphabet=st.characters(categories=["Nd", "No"]), min_size=1, max_size=20)
dates = st.builds(
    "{:04d}-{:02d}-{:02d}T{:02d}:00:00.000{}{:02d}{:02d}".format,
    st.integers(0, 99999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.integers(0, 25),
    st.sampled_from("+-"),
    st.integers(0, 99),
    st.integers(0, 99),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    any_text,
    digits.map(lambda tail: f"op-{tail}"),
    dates,
)
junk_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(any_text, children, max_size=3),
    max_leaves=8,
)
deep = st.integers(15, 3000).map(lambda depth: [{"a": None}] if depth == 0 else "[" * depth + "]" * depth)


def _report_item(message_id: str) -> dict:
    return {
        "bulkId": "b",
        "messageId": message_id,
        "to": "33600000000",
        "doneAt": "2026-03-01T12:00:00.000+0100",
        "messageCount": 1,
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False},
    }


REPORT_PATHS = [
    ("messageId",),
    ("doneAt",),
    ("to",),
    ("price",),
    ("messageCount",),
    ("smsCount",),
    ("status",),
    ("status", "name"),
    ("status", "groupName"),
    ("status", "groupId"),
    ("error",),
    ("error", "name"),
    ("error", "id"),
    ("error", "description"),
    ("extra",),
]


def _spoil(item: dict, path: tuple[str, ...], value: object) -> dict:
    target = item
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return item


def _encode(document: object) -> bytes:
    return json.dumps(document).encode()  # escapes surrogates and NUL as \u…, writes NaN and Infinity bare


def _deep_body(document: dict, depth: int) -> bytes:
    return _encode(document).replace(b'"<deep>"', b"[" * depth + b"]" * depth)


def _report_bodies(message_id: str) -> st.SearchStrategy[bytes]:
    item = _report_item(message_id)
    return st.one_of(
        st.builds(
            lambda path, value, count: _encode({"results": [_spoil(_report_item(message_id), path, value)] * count}),
            st.sampled_from(REPORT_PATHS),
            junk_values,
            st.integers(1, 3),
        ),
        st.builds(lambda value: _encode({"results": value}), junk_values),
        st.builds(_encode, junk_values),
        st.builds(lambda depth: _deep_body({"results": [{**item, "price": "<deep>"}]}, depth), st.integers(10, 5000)),
        st.binary(max_size=300),
    )


def _readable() -> None:
    """Everything stored can be read back (a date PostgreSQL keeps but Python cannot read would fail here)."""
    list(DeliveryReport.objects.values())
    list(Message.objects.values())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_report_webhook_never_answers_5xx_and_refusals_change_nothing(data):
    """Any report body: never a 5xx; a 4xx stores nothing and moves no message; what is accepted reads back."""
    message = MessageFactory(send=SendFactory(), state="accepted")
    body = data.draw(_report_bodies(message.message_id))
    before = (DeliveryReport.objects.count(), Message.objects.get(pk=message.pk).state)
    response = HttpClient().post(REPORTS.format(token="test-secret"), data=body, content_type="application/json")
    assert response.status_code < 500, (body[:300], response.content)
    if response.status_code != 200:
        assert 400 <= response.status_code < 500 and response.json()["error"]
        assert (DeliveryReport.objects.count(), Message.objects.get(pk=message.pk).state) == before
    _readable()


latin1 = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=255), max_size=60)
authorization = st.one_of(
    latin1,
    st.binary(max_size=40).map(lambda raw: "Basic " + base64.b64encode(raw).decode()),
    latin1.map(lambda text: "Basic " + text),
)
headers = st.fixed_dictionaries(
    {},
    optional={
        "HTTP_AUTHORIZATION": authorization,
        "HTTP_X_HUB_SIGNATURE_256": latin1 | latin1.map(lambda text: "sha256=" + text),
        "HTTP_X_INFOBIP_SIGNATURE": latin1,
        "CONTENT_LENGTH": st.sampled_from(["²", "١٢", "-1", "abc", "1e3", " ", "0", "9" * 30]),
        "CONTENT_TYPE": latin1,
    },
)
tokens = st.text(alphabet=st.characters(codec=None, exclude_characters="/", exclude_categories=()), min_size=1)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra=headers, token=tokens, inbound=st.booleans())
def test_junk_headers_and_tokens_never_answer_5xx(extra, token, inbound):
    """A valid body with junk headers and a junk URL token: refused (never 5xx), nothing changes."""
    customer = ClientFactory(phone=PHONE)
    message = MessageFactory(send=SendFactory(), state="accepted")
    if inbound:
        url = INBOUND.format(token=quote(token.encode("utf-8", "surrogatepass")))
        body = _encode({"results": [{"messageId": "1", "from": PHONE[1:], "to": "44", "text": "STOP"}]})
    else:
        url = REPORTS.format(token=quote(token.encode("utf-8", "surrogatepass")))
        body = _encode({"results": [_report_item(message.message_id)]})
    declared = extra.get("CONTENT_LENGTH", "").strip()
    if declared.isascii() and declared.isdigit() and int(declared) > len(body):
        extra.pop("CONTENT_LENGTH")  # the test client cannot send a body shorter than it says
    response = HttpClient().generic("POST", url, data=body, content_type="application/json", **extra)
    assert response.status_code < 500, response.content
    if token not in ("test-secret", "old-test-secret"):
        assert 400 <= response.status_code < 500
        customer.refresh_from_db()
        message.refresh_from_db()
        assert customer.sms_consent is True and message.state == "accepted"


def _inbound_item() -> dict:
    return {"messageId": "817790313235066447", "from": "4477009", "to": "44", "text": "hello", "receivedAt": None}


INBOUND_FIELDS = ["messageId", "from", "to", "text", "cleanText", "keyword", "receivedAt", "price", "smsCount"]
inbound_bodies = st.one_of(
    st.builds(
        lambda field, value, count: _encode({"results": [{**_inbound_item(), field: value}] * count}),
        st.sampled_from(INBOUND_FIELDS),
        junk_values,
        st.integers(1, 3),
    ),
    st.builds(lambda value: _encode({"results": value, "messageCount": 1}), junk_values),
    st.builds(_encode, junk_values),
    st.builds(lambda depth: _deep_body({"results": [{**_inbound_item(), "price": "<deep>"}]}, depth), st.integers(10, 5000)),
    st.binary(max_size=300),
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(body=inbound_bodies)
def test_inbound_webhook_never_answers_5xx_on_junk_and_changes_nothing(body):
    """Junk inbound bodies (never from our client's number): 200 or 4xx, never 5xx, and no consent changes."""
    customer = ClientFactory(phone=PHONE)
    events = ConsentEvent.objects.count()
    response = HttpClient().post(INBOUND.format(token="test-secret"), data=body, content_type="application/json")
    assert response.status_code < 500, (body[:300], response.content)
    assert ConsentEvent.objects.count() == events
    assert Client.objects.get(pk=customer.pk).sms_consent is True

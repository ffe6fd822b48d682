"""Property-based tests of the delivery-report webhook: duplicated, reordered, contradictory and malformed reports.

Hypothesis draws messages in every state and a sequence of POSTs (valid batches sampled from a small pool of
reports, so duplicates and out-of-order reports are common; exact replays; junk). After every POST the stored
state must equal a model of the rules in docs/dispatch.md: a report moves a pending, sending or accepted message
forward (a final report beats a non-final one in the same batch; the first final wins), a final state never
changes, a replay changes nothing, junk answers 4xx and changes nothing, and nothing ever answers 5xx.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications.models import DeliveryReport, Message
from tests.pipeline.factories import MessageFactory, SendFactory

pytestmark = [pytest.mark.reliability, pytest.mark.postgres, pytest.mark.django_db]
URL = reverse("notifications:infobip_reports", args=["test-secret"])
S = Message.State
OPEN = (S.PENDING, S.SENDING, S.ACCEPTED)
STATES = [choice for choice, _label in S.choices]
# (groupName, groupId, status name) → the state the report stands for.
STATUSES = [
    ("PENDING", 1, "PENDING_ACCEPTED", S.ACCEPTED),
    ("DELIVERED", 3, "DELIVERED_TO_OPERATOR", S.ACCEPTED),
    ("DELIVERED", 3, "DELIVERED_TO_HANDSET", S.DELIVERED),
    ("UNDELIVERABLE", 2, "UNDELIVERABLE_NOT_DELIVERED", S.UNDELIVERABLE),
    ("EXPIRED", 4, "EXPIRED_EXPIRED", S.EXPIRED),
    ("REJECTED", 5, "REJECTED_DESTINATION", S.REJECTED),
]
DONE_AT = [None, "2026-03-01T12:00:00.000+0000", "2026-03-01T12:00:05.250+0000", "2026-03-02T08:30:00.000+0000"]
nonces = itertools.count(1)


@dataclass(frozen=True)
class Report:
    target: int  # index of a message of the example, or -1/-2 for an unknown id of ours / a foreign id
    status: int  # index into STATUSES
    done: int  # index into DONE_AT
    by_id: bool  # send the group as groupId instead of groupName


reports = st.builds(
    Report,
    target=st.integers(-2, 5),
    status=st.integers(0, len(STATUSES) - 1),
    done=st.integers(0, len(DONE_AT) - 1),
    by_id=st.booleans(),
)


def _item(message_id: str, report: Report) -> dict:
    group, group_id, name, _state = STATUSES[report.status]
    status = {"groupId": group_id, "id": 5, "name": name}
    if not report.by_id:
        status["groupName"] = group
    item = {
        "bulkId": "b-1",
        "messageId": message_id,
        "to": "33600000000",
        "messageCount": 1,
        "status": status,
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False},
    }
    if DONE_AT[report.done] is not None:
        item["doneAt"] = DONE_AT[report.done]
    return item


# Ways to spoil one item of an otherwise valid batch; each must make the whole batch a 400.
SPOILERS = [
    lambda item: item.update(messageId=12345),
    lambda item: item.update(messageId=""),
    lambda item: item.update(messageId="x" * 201),
    lambda item: item.pop("messageId"),
    lambda item: item.pop("status"),
    lambda item: item.update(status="DELIVERED"),
    lambda item: item.update(status={"groupName": "BOGUS", "name": "X"}),
    lambda item: item.update(status={"groupId": True, "name": "X"}),
    lambda item: item.update(status={"groupId": 99, "name": "X"}),
    lambda item: item["status"].update(name="N" * 65),
    lambda item: item["status"].update(name=["DELIVERED"]),
    lambda item: item.update(doneAt="yesterday"),
    lambda item: item.update(doneAt="2026-03-01T12:00:00"),  # no offset
    lambda item: item.update(doneAt=1740830400),
    lambda item: item.update(error={"name": "E" * 65, "description": "d"}),
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
junk_bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.just(b'{"results": []}'),
    st.just(b'{"results": {}}'),
    st.just(b'{"results": [1, 2]}'),
    st.just(b"\xff\xfe{\x00}\x00"),
    st.just(b'{"results": [' + b"{}," * 100 + b"{}]}"),
)
posts = st.lists(
    st.one_of(
        st.tuples(st.just("batch"), st.lists(reports, min_size=1, max_size=8)),
        st.tuples(st.just("replay"), st.integers(0, 20)),
        st.tuples(
            st.just("spoiled"),
            st.lists(reports, min_size=1, max_size=4),
            st.integers(0, len(SPOILERS) - 1),
            st.integers(0, 3),
        ),
        st.tuples(st.just("junk"), junk_bodies),
        st.tuples(st.just("unauthenticated"), st.lists(reports, min_size=1, max_size=3)),
    ),
    min_size=1,
    max_size=8,
)


class Oracle:
    """The expected state of each message, following the rules of docs/dispatch.md."""

    def __init__(self, states: list[str]) -> None:
        self.states = list(states)

    def apply(self, batch: list[Report]) -> None:
        best: dict[int, str] = {}
        for report in batch:
            if report.target < 0:
                continue
            state = STATUSES[report.status][3]
            rank = 2 if state != S.ACCEPTED else 1
            current = best.get(report.target)
            if current is None or rank > (2 if current != S.ACCEPTED else 1):
                best[report.target] = state
        for index, state in best.items():
            if self.states[index] in OPEN:
                self.states[index] = state


def _post(client: HttpClient, body: bytes, url: str = URL):
    return client.post(url, data=body, content_type="application/json")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(initial=st.lists(st.sampled_from(STATES), min_size=6, max_size=6), sequence=posts)
def test_reports_never_regress_and_junk_changes_nothing(initial, sequence):
    """Any sequence of valid, duplicated, reordered, spoiled, junk or unauthenticated POSTs obeys the state rules."""
    nonce = next(nonces)
    send = SendFactory()
    messages = [MessageFactory(send=send, state=state) for state in initial]
    unknown_ours, foreign = f"op-{10**15 + nonce}", f"ext-{nonce}"

    def message_id(target: int) -> str:
        return {-1: unknown_ours, -2: foreign}.get(target) or messages[target].message_id

    ids = [m.message_id for m in messages] + [unknown_ours, foreign]
    oracle = Oracle(initial)
    client = HttpClient(enforce_csrf_checks=True)
    sent: list[tuple[bytes, list[Report]]] = []
    keys: set[tuple[str, str, str]] = set()

    def stored() -> tuple[list[str], int]:
        states = dict(Message.objects.filter(send=send).values_list("pk", "state"))
        return [states[m.pk] for m in messages], DeliveryReport.objects.filter(provider_message_id__in=ids).count()

    for post in sequence:
        before = stored()
        kind = post[0]
        if kind == "batch" or (kind == "replay" and not sent):
            batch = post[1] if kind == "batch" else []
            if not batch:
                continue
            body = json.dumps({"results": [_item(message_id(r.target), r) for r in batch]}).encode()
            response = _post(client, body)
            assert response.status_code == 200, response.content
            sent.append((body, batch))
            oracle.apply(batch)
            keys.update((message_id(r.target), STATUSES[r.status][2], DONE_AT[r.done] or "") for r in batch)
        elif kind == "replay":
            body, _batch = sent[post[1] % len(sent)]
            response = _post(client, body)
            assert response.status_code == 200, response.content
            assert response.json()["applied"] == 0
            assert stored() == before, "a replayed batch changed something"
        else:
            if kind == "spoiled":
                items = [_item(message_id(r.target), r) for r in post[1]]
                SPOILERS[post[2]](items[post[3] % len(items)])
                response = _post(client, json.dumps({"results": items}).encode())
                assert response.status_code == 400, response.content
            elif kind == "unauthenticated":
                body = json.dumps({"results": [_item(message_id(r.target), r) for r in post[1]]}).encode()
                response = _post(client, body, url=reverse("notifications:infobip_reports", args=["wrong-secret"]))
                assert response.status_code == 401
            else:
                response = _post(client, post[1])
                assert response.status_code < 500, response.content
                assert 400 <= response.status_code < 500, f"junk accepted: {post[1][:200]!r}"
            assert stored() == before, f"a refused POST ({kind}) changed something"
        states, raw = stored()
        for index, (old, new) in enumerate(zip(before[0], states, strict=True)):
            if old not in OPEN:
                assert new == old, f"message {index} left final state {old} for {new}"
        assert states == oracle.states
    assert stored()[1] == len(keys), "one raw row per distinct report"


def test_oversized_and_empty_bodies_answer_400():
    """A body over 1 MB, an empty body and a GET answer 4xx and store nothing."""
    client = HttpClient(enforce_csrf_checks=True)
    huge = json.dumps({"results": [{"messageId": "op-1", "pad": "x" * (1024 * 1024)}]}).encode()
    assert _post(client, huge).status_code == 400
    assert _post(client, b"").status_code == 400
    assert client.get(URL).status_code == 405
    assert DeliveryReport.objects.count() == 0

"""The sandbox's idempotency switch, its hold hook and its log lag, over HTTP (docs/sandbox.md)."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from infobip_sandbox.__main__ import _parser, config_from_args
from notifications.providers.base import SendOptions
from notifications.providers.infobip.bodies import sms_request_body
from tests.provider.conftest import sms
from tests.provider.test_sandbox import post, sms_body

# Idempotency -------------------------------------------------------------------------------------------------------


def test_without_idempotency_a_resent_message_id_counts_twice(infobip_sandbox):
    """The default, as Infobip without idempotent sending: the copy is accepted and counted again."""
    for _ in range(2):
        assert post(infobip_sandbox, "/sms/3/messages", sms_body(2)).status_code == 200
    stats = infobip_sandbox.stats()
    assert stats["duplicates"] == {"op-sms-0": 2, "op-sms-1": 2} and stats["duplicates_rejected"] == 0


def test_with_idempotency_a_resent_message_id_is_refused_as_a_duplicate(infobip_sandbox, report_receiver):
    """Within the grace period the copy is answered REJECTED (a duplicate), not stored, not counted; its report says
    so too, and the logs keep only the original."""
    infobip_sandbox.configure(idempotency=True, report_delay=0.1)
    first = post(infobip_sandbox, "/sms/3/messages", sms_body(2, report_url=report_receiver.url)).json()
    body = sms_request_body(sms(3), SendOptions(report_url=report_receiver.url), sender="OutageInfo")
    again = post(infobip_sandbox, "/sms/3/messages", body).json()
    assert {m["status"]["groupName"] for m in first["messages"]} == {"PENDING"}
    statuses = {m["messageId"]: m["status"] for m in again["messages"]}
    assert statuses["op-sms-2"]["name"] == "PENDING_ACCEPTED"
    for copy in ("op-sms-0", "op-sms-1"):
        assert statuses[copy]["groupName"] == "REJECTED" and "DUPLICATE" in statuses[copy]["name"]
    stats = infobip_sandbox.stats(ids=True)
    assert stats["ids"] == {"op-sms-0": 1, "op-sms-1": 1, "op-sms-2": 1} and stats["duplicates"] == {}
    assert stats["duplicates_rejected"] == 2 and stats["rejected_ids"] == {"op-sms-0": 1, "op-sms-1": 1}
    reports = report_receiver.wait_for(5)
    assert sorted(r["status"]["groupName"] for r in reports) == ["DELIVERED"] * 3 + ["REJECTED"] * 2
    logs = requests.get(
        infobip_sandbox.url + "/sms/3/logs",
        params={"messageId": ["op-sms-0"]},
        headers={"Authorization": f"App {infobip_sandbox.api_key}"},
        timeout=10,
    ).json()["results"]
    assert [entry["status"]["groupName"] for entry in logs] == ["DELIVERED"]


def test_after_the_grace_period_a_message_id_is_accepted_again(infobip_sandbox):
    infobip_sandbox.configure(idempotency=True, idempotency_grace=0.2)
    post(infobip_sandbox, "/sms/3/messages", sms_body(1))
    time.sleep(0.3)
    post(infobip_sandbox, "/sms/3/messages", sms_body(1))
    assert infobip_sandbox.stats()["duplicates"] == {"op-sms-0": 2}


def test_two_copies_at_the_same_instant_are_counted_once(infobip_sandbox):
    """The stalled worker and its successor racing: whichever arrives second is refused."""
    infobip_sandbox.configure(idempotency=True)
    barrier = threading.Barrier(8)
    answers: list[int] = []

    def send() -> None:
        barrier.wait()
        answers.append(post(infobip_sandbox, "/sms/3/messages", sms_body(20)).status_code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    stats = infobip_sandbox.stats(ids=True)
    assert answers == [200] * 8 and set(stats["ids"].values()) == {1} and len(stats["ids"]) == 20
    assert stats["duplicates_rejected"] == 7 * 20


# The hold hook -----------------------------------------------------------------------------------------------------


def test_hold_keeps_the_answer_and_reports_of_the_next_send_until_released(infobip_sandbox, report_receiver):
    """The batch is stored (and in the logs) at once; its answer and reports wait for the release."""
    infobip_sandbox.configure(report_delay=0.0)
    assert infobip_sandbox.hold(1)["armed"] == 1
    answers: list[requests.Response] = []
    sender = threading.Thread(
        target=lambda: answers.append(
            post(infobip_sandbox, "/sms/3/messages", sms_body(3, report_url=report_receiver.url), timeout=30)
        )
    )
    sender.start()
    deadline = time.monotonic() + 10
    while infobip_sandbox.hold_status()["holding"] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    status = infobip_sandbox.hold_status()
    assert status["held_ids"] == ["op-sms-0", "op-sms-1", "op-sms-2"] and status["armed"] == 0
    assert infobip_sandbox.stats()["distinct_ids"] == 3
    time.sleep(0.3)
    assert not answers and report_receiver.results() == []
    assert infobip_sandbox.release()["released"] == 1
    sender.join(timeout=10)
    assert answers[0].status_code == 200 and len(answers[0].json()["messages"]) == 3
    assert len(report_receiver.wait_for(3)) == 3
    # Only the next send was held: the one after it is answered at once.
    assert post(infobip_sandbox, "/sms/3/messages", sms_body(1, prefix="later"), timeout=5).status_code == 200


def test_reset_releases_a_held_answer(infobip_sandbox):
    infobip_sandbox.hold(1)
    answers: list[int] = []
    sender = threading.Thread(
        target=lambda: answers.append(post(infobip_sandbox, "/sms/3/messages", sms_body(1), timeout=30).status_code)
    )
    sender.start()
    deadline = time.monotonic() + 10
    while infobip_sandbox.hold_status()["holding"] != 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    infobip_sandbox.reset()
    sender.join(timeout=10)
    assert answers == [200] and infobip_sandbox.hold_status()["holding"] == 0


@pytest.mark.parametrize("body", [b'{"count": -1}', b'{"count": "1"}', b"[1]", b"{", b'{"count": true}'])
def test_hold_refuses_bad_counts(infobip_sandbox, body):
    response = requests.post(infobip_sandbox.url + "/_sandbox/hold", data=body, timeout=10)
    assert response.status_code == 400 and infobip_sandbox.hold_status()["armed"] == 0


# The log lag -------------------------------------------------------------------------------------------------------


def test_logs_delay_hides_fresh_messages_from_the_logs(infobip_sandbox):
    """A message accepted less than ``logs_delay`` seconds ago is not in the logs yet (by id or by listing)."""
    infobip_sandbox.configure(logs_delay=0.5)
    post(infobip_sandbox, "/sms/3/messages", sms_body(2))
    headers = {"Authorization": f"App {infobip_sandbox.api_key}"}

    def logged(params: dict) -> list[str]:
        answer = requests.get(infobip_sandbox.url + "/sms/3/logs", params=params, headers=headers, timeout=10)
        return sorted(entry["messageId"] for entry in answer.json()["results"])

    assert logged({"messageId": ["op-sms-0", "op-sms-1"]}) == [] and logged({}) == []
    time.sleep(0.6)
    assert logged({"messageId": ["op-sms-0", "op-sms-1"]}) == ["op-sms-0", "op-sms-1"] == logged({})


def test_command_line_switches():
    args = _parser().parse_args(["--idempotency", "--idempotency-grace", "90", "--logs-delay", "2.5"])
    config = config_from_args(args)
    assert config.idempotency and config.idempotency_grace == 90 and config.logs_delay == 2.5
    defaults = config_from_args(_parser().parse_args([]))
    assert not defaults.idempotency and defaults.idempotency_grace == 3600 and defaults.logs_delay == 0


def test_release_counts_what_this_call_released(infobip_sandbox):
    """A second hold and release in the same sandbox says 1, not the total since it started (CI saw 2)."""
    for _ in range(2):
        infobip_sandbox.hold(1)
        answers: list[int] = []
        sender = threading.Thread(
            target=lambda: answers.append(post(infobip_sandbox, "/sms/3/messages", sms_body(1), timeout=30).status_code)
        )
        sender.start()
        deadline = time.monotonic() + 10
        while infobip_sandbox.hold_status()["holding"] != 1:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert infobip_sandbox.release()["released"] == 1
        sender.join(timeout=10)
        assert answers == [200]
    assert infobip_sandbox.hold_status()["released_total"] >= 2

"""The Infobip sandbox itself, over HTTP: auth, validation, outcome rules, reports, stats and every fault option."""

from __future__ import annotations

import json
import time

import pytest
import requests

from infobip_sandbox import SandboxConfig, SandboxServer
from notifications.providers.base import SendOptions
from notifications.providers.infobip.bodies import email_request_body, sms_request_body
from tests.provider.conftest import emails, sms


def post(sandbox, path: str, body, *, key: str | None = None, timeout: float = 10) -> requests.Response:
    headers = {"Authorization": f"App {key or sandbox.api_key}", "Content-Type": "application/json"}
    data = body if isinstance(body, bytes) else json.dumps(body)
    return requests.post(sandbox.url + path, data=data, headers=headers, timeout=timeout)


def sms_body(n: int = 2, report_url: str = "", **kwargs) -> dict:
    return sms_request_body(sms(n, **kwargs), SendOptions(report_url=report_url), sender="OutageInfo")


def email_body(n: int = 2, report_url: str = "", **kwargs) -> dict:
    return email_request_body(emails(n, **kwargs), SendOptions(report_url=report_url), sender="ops@example.com")


# Authentication and validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "App wrong", "Basic c2FuZGJveA==", "sandbox-test-key", "App"])
def test_wrong_or_missing_key_is_401(infobip_sandbox, header):
    """Only ``Authorization: App <key>`` passes; anything else gets 401 with Infobip's ApiError shape."""
    headers = {"Authorization": header} if header else {}
    response = requests.post(infobip_sandbox.url + "/sms/3/messages", json=sms_body(), headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json()["errorCode"] == "E401" and response.json()["violations"] == []
    assert infobip_sandbox.stats()["messages_accepted"] == 0


def test_reads_need_the_key_but_control_paths_do_not(infobip_sandbox):
    """Logs and reports need the key; /_sandbox/ paths answer without it."""
    assert requests.get(infobip_sandbox.url + "/sms/3/logs", timeout=10).status_code == 401
    assert requests.get(infobip_sandbox.url + "/email/4/reports", timeout=10).status_code == 401
    assert requests.get(infobip_sandbox.url + "/_sandbox/stats", timeout=10).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "prop"),
    [
        ("/sms/3/messages", {}, "messages"),
        ("/sms/3/messages", {"messages": []}, "messages"),
        (
            "/sms/3/messages",
            {"messages": [{"sender": "X", "destinations": [], "content": {"text": "t"}}]},
            "messages[0].destinations",
        ),
        (
            "/sms/3/messages",
            {"messages": [{"sender": "X", "destinations": [{"to": "336"}], "content": {}}]},
            "messages[0].content.text",
        ),
        (
            "/sms/3/messages",
            {"messages": [{"destinations": [{"to": "336"}], "content": {"text": "t"}}]},
            "messages[0].sender",
        ),
        (
            "/sms/3/messages",
            {"messages": [{"sender": "X", "destinations": [{"to": ""}], "content": {"text": "t"}}]},
            "messages[0].destinations[0].to",
        ),
        (
            "/sms/3/messages",
            {
                "messages": [
                    {"sender": "X", "destinations": [{"to": "1", "messageId": "x" * 201}], "content": {"text": "t"}}
                ]
            },
            "messages[0].destinations[0].messageId",
        ),
        (
            "/email/4/messages",
            {
                "messages": [
                    {"sender": "a@b.c", "destinations": [{"to": [{"destination": "d@e.f"}]}], "content": {"text": "t"}}
                ]
            },
            "messages[0].content.subject",
        ),
        (
            "/email/4/messages",
            {
                "messages": [
                    {
                        "sender": "a@b.c",
                        "destinations": [{"to": [{"destination": "d@e.f"}]}],
                        "content": {"subject": "s"},
                    }
                ]
            },
            "messages[0].content",
        ),
        (
            "/email/4/messages",
            {
                "messages": [
                    {
                        "sender": "a@b.c",
                        "destinations": [{"to": [{"destination": "nope"}]}],
                        "content": {"subject": "s", "text": "t"},
                    }
                ]
            },
            "messages[0].destinations[0].to[0].destination",
        ),
        (
            "/email/4/messages",
            {
                "messages": [
                    {
                        "sender": "a@b.c",
                        "destinations": [{"to": [{"destination": "d@e.f"}]}],
                        "content": {"subject": "s", "text": "t", "headers": "List-Unsub"},
                    }
                ]
            },
            "messages[0].content.headers",
        ),
        (
            "/email/4/messages",
            {"messages": [{"sender": "a@b.c", "destinations": [{"to": []}], "content": {"subject": "s", "text": "t"}}]},
            "messages[0].destinations[0].to",
        ),
    ],
)
def test_invalid_requests_get_400_with_violations(infobip_sandbox, path, body, prop):
    """Missing messages, destinations, text, subject or sender, bad ids or headers: 400 naming the property."""
    response = post(infobip_sandbox, path, body)
    assert response.status_code == 400
    error = response.json()
    assert error["errorCode"] == "E400" and prop in [v["property"] for v in error["violations"]]
    assert infobip_sandbox.stats()["messages_accepted"] == 0


def test_malformed_json_is_400(infobip_sandbox):
    """A body that is not JSON gets 400 with a violation on the body."""
    response = post(infobip_sandbox, "/sms/3/messages", b"{not json")
    assert response.status_code == 400 and response.json()["violations"][0]["property"] == "body"


def test_unknown_path_and_wrong_method(infobip_sandbox):
    """Unknown paths get 404, a GET on a send path 405, both in the ApiError shape."""
    headers = {"Authorization": f"App {infobip_sandbox.api_key}"}
    assert requests.get(infobip_sandbox.url + "/sms/2/text/advanced", headers=headers, timeout=10).status_code == 404
    wrong = requests.get(infobip_sandbox.url + "/sms/3/messages", headers=headers, timeout=10)
    assert wrong.status_code == 405 and wrong.json()["errorCode"] == "E405"


# Answers, rules and reports -----------------------------------------------------------------------------------------


def test_answer_echoes_our_ids_with_pending_accepted(infobip_sandbox):
    """The answer lists each of our messageIds with PENDING_ACCEPTED (group 1) and the SMS part count."""
    body = sms_body(2, text="x" * 200)
    body["options"]["schedule"] = {"bulkId": "bulk-42"}
    answer = post(infobip_sandbox, "/sms/3/messages", body).json()
    assert answer["bulkId"] == "bulk-42"
    assert [m["messageId"] for m in answer["messages"]] == ["op-sms-0", "op-sms-1"]
    assert {m["status"]["name"] for m in answer["messages"]} == {"PENDING_ACCEPTED"}
    assert {m["status"]["groupId"] for m in answer["messages"]} == {1}
    assert answer["messages"][0]["details"] == {"messageCount": 2}


def test_outcome_rules(infobip_sandbox, report_receiver):
    """666 / bounce… are UNDELIVERABLE, 777 / reject… REJECTED, everything else DELIVERED_TO_HANDSET."""
    infobip_sandbox.configure(report_delay=0.05)
    numbers = ["+33600000666", "+33600000777", "+33600000123"]
    body = sms_request_body(
        [sms(1, prefix=f"s{i}", destination=number)[0] for i, number in enumerate(numbers)],
        SendOptions(report_url=report_receiver.url),
        sender="OutageInfo",
    )
    assert post(infobip_sandbox, "/sms/3/messages", body).status_code == 200
    mails = [emails(1, prefix=f"e{i}", local=local)[0] for i, local in enumerate(["bounce.me", "Reject-x", "ann"])]
    body = email_request_body(mails, SendOptions(report_url=report_receiver.url), sender="ops@example.com")
    assert post(infobip_sandbox, "/email/4/messages", body).status_code == 200
    results = {r["messageId"]: r for r in report_receiver.wait_for(6)}
    groups = {mid: (r["status"]["groupId"], r["status"]["groupName"]) for mid, r in results.items()}
    assert groups == {
        "s0-0": (2, "UNDELIVERABLE"),
        "s1-0": (5, "REJECTED"),
        "s2-0": (3, "DELIVERED"),
        "e0-0": (2, "UNDELIVERABLE"),
        "e1-0": (5, "REJECTED"),
        "e2-0": (3, "DELIVERED"),
    }
    assert results["s2-0"]["status"]["name"] == "DELIVERED_TO_HANDSET" and results["s2-0"]["error"]["id"] == 0
    assert results["s0-0"]["to"] == "33600000666" and results["s0-0"]["sender"] == "OutageInfo"


def test_reports_are_posted_in_batches_of_at_most_100(infobip_sandbox, report_receiver):
    """250 messages give reports in POSTs of at most 100 results each, all of them exactly once."""
    infobip_sandbox.configure(report_delay=0.1)
    post(infobip_sandbox, "/sms/3/messages", sms_body(150, report_url=report_receiver.url))
    post(infobip_sandbox, "/sms/3/messages", sms_body(100, report_url=report_receiver.url, prefix="b"))
    results = report_receiver.wait_for(250)
    stats = infobip_sandbox.wait_for_reports()
    assert len(results) == 250 and len({r["messageId"] for r in results}) == 250
    assert max(len(body["results"]) for body in report_receiver.bodies) <= 100
    assert len(report_receiver.bodies) >= 3
    assert stats["reports"]["posted"] == 250 and stats["reports"]["pending"] == 0


def test_report_delay_is_respected(infobip_sandbox, report_receiver):
    """Nothing is reported before --report-delay has passed."""
    infobip_sandbox.configure(report_delay=0.8)
    post(infobip_sandbox, "/sms/3/messages", sms_body(1, report_url=report_receiver.url))
    time.sleep(0.4)
    assert report_receiver.results() == []
    assert len(report_receiver.wait_for(1, timeout=5)) == 1


def test_stats_count_duplicates(infobip_sandbox):
    """Sending the same ids twice shows in the stats: distinct ids, duplicates with counts, ?ids=1 lists all."""
    post(infobip_sandbox, "/sms/3/messages", sms_body(3))
    post(infobip_sandbox, "/sms/3/messages", sms_body(1))
    post(infobip_sandbox, "/email/4/messages", email_body(2))
    stats = infobip_sandbox.stats(ids=True)
    assert stats["messages_accepted"] == 6 and stats["by_channel"] == {"sms": 4, "email": 2, "viber": 0, "whatsapp": 0}
    assert stats["distinct_ids"] == 5 and stats["duplicates"] == {"op-sms-0": 2} and stats["duplicate_ids"] == 1
    assert stats["ids"]["op-sms-1"] == 1 and len(stats["ids"]) == 5
    assert stats["requests_by_path"] == {"/sms/3/messages": 2, "/email/4/messages": 1}
    assert "ids" not in infobip_sandbox.stats()


def test_reset_forgets_everything_and_restores_config(infobip_sandbox):
    """POST /_sandbox/reset clears messages, stats and runtime faults."""
    infobip_sandbox.configure(fail_rate=0.5)
    post(infobip_sandbox, "/sms/3/messages", sms_body(2))
    infobip_sandbox.reset()
    stats = infobip_sandbox.stats()
    assert stats["messages_accepted"] == 0 and stats["requests"] == 0 and stats["config"]["fail_rate"] == 0.0
    assert infobip_sandbox.received() == []


def test_config_rejects_unknown_or_bad_settings(infobip_sandbox):
    """POST /_sandbox/config answers 400 for unknown keys, bad types and rates out of range."""
    for bad in (
        {"fail_ratio": 1},
        {"fail_rate": "high"},
        {"fail_rate": 1.5},
        {"fail_rate": 0.6, "throttle_rate": 0.6},
        {"api_key": "x"},
        {"faults_on_reads": 1},
    ):
        response = requests.post(infobip_sandbox.url + "/_sandbox/config", data=json.dumps(bad), timeout=10)
        assert response.status_code == 400, bad
    assert infobip_sandbox.stats()["config"]["fail_rate"] == 0.0


def test_received_returns_last_bodies_with_headers(infobip_sandbox):
    """/_sandbox/received?limit=N gives the last N message bodies, email headers as received."""
    post(infobip_sandbox, "/sms/3/messages", sms_body(3))
    post(infobip_sandbox, "/email/4/messages", email_body(1))
    last_two = infobip_sandbox.received(limit=2)
    assert [item["channel"] for item in last_two] == ["sms", "email"]
    headers = json.loads(last_two[1]["message"]["content"]["headers"])
    assert headers["List-Unsubscribe"] == "<https://portal.example.com/u/0/>"


def test_logs_reflect_accept_then_fail(infobip_sandbox):
    """Messages accepted but answered 500 are in the logs, as Infobip would have them."""
    infobip_sandbox.configure(accept_then_fail_rate=1.0)
    assert post(infobip_sandbox, "/sms/3/messages", sms_body(2)).status_code == 500
    headers = {"Authorization": f"App {infobip_sandbox.api_key}"}
    logs = requests.get(
        infobip_sandbox.url + "/sms/3/logs", params=[("messageId", "op-sms-0,op-sms-1")], headers=headers, timeout=10
    ).json()
    assert sorted(r["messageId"] for r in logs["results"]) == ["op-sms-0", "op-sms-1"]
    assert infobip_sandbox.stats()["faults"] == {"accept_then_fail": 1}


# Fault options --------------------------------------------------------------------------------------------------


def test_fail_rate_answers_500_and_records_nothing(infobip_sandbox):
    """fail_rate=1: every send gets 500 and nothing is recorded or reported."""
    infobip_sandbox.configure(fail_rate=1.0)
    response = post(infobip_sandbox, "/sms/3/messages", sms_body(2))
    assert response.status_code == 500 and response.json()["errorCode"] == "E500"
    stats = infobip_sandbox.stats()
    assert stats["messages_accepted"] == 0 and stats["reports"]["scheduled"] == 0 and stats["faults"] == {"fail": 1}


def test_throttle_rate_answers_429_with_retry_after(infobip_sandbox):
    """throttle_rate=1: 429 with ``Retry-After: 1`` and the E429 body; nothing recorded."""
    infobip_sandbox.configure(throttle_rate=1.0)
    response = post(infobip_sandbox, "/email/4/messages", email_body(1))
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    assert response.json()["errorCode"] == "E429" and infobip_sandbox.stats()["messages_accepted"] == 0


def test_slow_rate_delays_the_answer(infobip_sandbox):
    """slow_rate=1 answers normally after slow_seconds."""
    infobip_sandbox.configure(slow_rate=1.0, slow_seconds=0.6)
    started = time.monotonic()
    assert post(infobip_sandbox, "/sms/3/messages", sms_body(1)).status_code == 200
    assert time.monotonic() - started >= 0.6


@pytest.mark.parametrize(("accepts", "recorded"), [(True, 1), (False, 0)])
def test_timeout_rate_hangs_past_the_read_timeout(infobip_sandbox, accepts, recorded):
    """timeout_rate=1 never answers within hang_seconds; the send is recorded unless timeout_accepts is off."""
    infobip_sandbox.configure(timeout_rate=1.0, hang_seconds=1.5, timeout_accepts=accepts)
    with pytest.raises(requests.ReadTimeout):
        post(infobip_sandbox, "/sms/3/messages", sms_body(1), timeout=0.5)
    assert infobip_sandbox.stats()["distinct_ids"] == recorded


def test_accept_then_fail_records_reports_and_answers_500(infobip_sandbox, report_receiver):
    """accept_then_fail_rate=1: 500 answer, yet the messages are counted and reported."""
    infobip_sandbox.configure(accept_then_fail_rate=1.0, report_delay=0.05)
    assert post(infobip_sandbox, "/sms/3/messages", sms_body(2, report_url=report_receiver.url)).status_code == 500
    assert len(report_receiver.wait_for(2)) == 2
    assert infobip_sandbox.stats()["distinct_ids"] == 2


def test_seeded_faults_repeat(infobip_sandbox):
    """The same seed gives the same sequence of faults; rates mix as configured."""

    def statuses() -> list[int]:
        infobip_sandbox.configure(seed=7, fail_rate=0.3, throttle_rate=0.3)
        return [post(infobip_sandbox, "/sms/3/messages", sms_body(1)).status_code for _ in range(30)]

    first = statuses()
    assert first == statuses()
    assert {200, 429, 500} <= set(first)


def test_faults_spare_reads_unless_asked(infobip_sandbox):
    """Faults hit only sends by default; faults_on_reads extends them to logs and reports."""
    headers = {"Authorization": f"App {infobip_sandbox.api_key}"}
    infobip_sandbox.configure(fail_rate=1.0)
    assert requests.get(infobip_sandbox.url + "/sms/3/logs", headers=headers, timeout=10).status_code == 200
    infobip_sandbox.configure(faults_on_reads=True)
    assert requests.get(infobip_sandbox.url + "/sms/3/logs", headers=headers, timeout=10).status_code == 500


def test_in_process_server_starts_and_stops():
    """SandboxServer runs in-process on a free port for benchmarks and scripts."""
    server = SandboxServer(SandboxConfig(api_key="k"), port=0).start()
    try:
        response = requests.post(
            server.url + "/sms/3/messages", json=sms_body(2), headers={"Authorization": "App k"}, timeout=10
        )
        assert response.status_code == 200 and len(response.json()["messages"]) == 2
    finally:
        server.stop()

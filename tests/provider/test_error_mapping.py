"""The provider's error mapping, over real HTTP: the sandbox's faults, and a canned server for the exotic cases."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from notifications.providers.base import (
    AmbiguousProviderError,
    NotSentError,
    PermanentProviderError,
    RetryableProviderError,
    SendOptions,
    ThrottledProviderError,
)
from notifications.providers.infobip import InfobipProvider
from tests.provider.conftest import OPTIONS, emails, sms

ACCEPTED = {"groupId": 1, "groupName": "PENDING", "id": 26, "name": "PENDING_ACCEPTED", "description": "ok"}


# Against the sandbox ------------------------------------------------------------------------------------------------


def test_accepted_batch_gives_one_result_per_message(provider, infobip_sandbox):
    """A 200 answer becomes one accepted SendResult per message, with parts and the bulk id."""
    results = provider.send("sms", sms(5), OPTIONS)
    assert [r.message_id for r in results] == [f"op-sms-{i}" for i in range(5)]
    assert all(r.accepted and r.status_group == "PENDING" and r.parts == 1 and r.bulk_id for r in results)
    assert infobip_sandbox.stats()["by_channel"]["sms"] == 5


def test_a_request_past_its_deadline_is_never_made(provider, infobip_sandbox):
    """``SendOptions.not_after`` in the past (the worker stalled after the fence's check): NotSentError, and the
    sandbox saw no request at all; with a deadline ahead, the same batch goes out."""
    late = SendOptions(report_url=OPTIONS.report_url, not_after=time.monotonic() - 0.001)
    with pytest.raises(NotSentError):
        provider.send("sms", sms(3), late)
    assert infobip_sandbox.stats()["requests"] == 0
    soon = SendOptions(report_url=OPTIONS.report_url, not_after=time.monotonic() + 30)
    assert all(result.accepted for result in provider.send("sms", sms(3), soon))


def test_500_is_ambiguous(provider, infobip_sandbox):
    """A 500 may hide an accepted request: AmbiguousProviderError (the sandbox recorded nothing here)."""
    infobip_sandbox.configure(fail_rate=1.0)
    with pytest.raises(AmbiguousProviderError) as caught:
        provider.send("sms", sms(3), OPTIONS)
    assert caught.value.http_status == 500 and caught.value.code == "E500"
    assert infobip_sandbox.stats()["messages_accepted"] == 0


def test_accept_then_fail_is_ambiguous_and_lookup_finds_the_messages(provider, infobip_sandbox):
    """Accepted-then-500 raises AmbiguousProviderError, and the logs show the messages were received."""
    infobip_sandbox.configure(accept_then_fail_rate=1.0)
    with pytest.raises(AmbiguousProviderError):
        provider.send("email", emails(3), OPTIONS)
    infobip_sandbox.configure(accept_then_fail_rate=0.0)
    found = provider.lookup("email", ["op-mail-0", "op-mail-1", "op-mail-2", "never-sent"])
    assert set(found) == {"op-mail-0", "op-mail-1", "op-mail-2"}


def test_429_is_throttled_with_retry_after(provider, infobip_sandbox):
    """429 raises ThrottledProviderError carrying the sandbox's Retry-After of 1 second."""
    infobip_sandbox.configure(throttle_rate=1.0)
    with pytest.raises(ThrottledProviderError) as caught:
        provider.send("sms", sms(2), OPTIONS)
    assert caught.value.retry_after == 1.0 and caught.value.http_status == 429
    assert isinstance(caught.value, RetryableProviderError)


def test_read_timeout_on_send_is_ambiguous(provider, infobip_sandbox):
    """A send that hangs past the read timeout raises AmbiguousProviderError (it was in fact recorded)."""
    infobip_sandbox.configure(timeout_rate=1.0, hang_seconds=2.0)
    started = time.monotonic()
    with pytest.raises(AmbiguousProviderError) as caught:
        provider.send("sms", sms(2), OPTIONS)
    assert caught.value.code == "READ_TIMEOUT" and time.monotonic() - started < 1.9
    assert infobip_sandbox.stats()["distinct_ids"] == 2


def test_read_timeout_on_lookup_is_retryable(provider, infobip_sandbox):
    """A lookup is idempotent, so its timeout is merely retryable."""
    infobip_sandbox.configure(timeout_rate=1.0, hang_seconds=2.0, faults_on_reads=True)
    with pytest.raises(RetryableProviderError) as caught:
        provider.lookup("sms", ["op-sms-0"])
    assert not isinstance(caught.value, AmbiguousProviderError)


def test_500_on_pull_reports_is_retryable(provider, infobip_sandbox):
    """A 500 on a GET is retryable, not ambiguous."""
    infobip_sandbox.configure(fail_rate=1.0, faults_on_reads=True)
    with pytest.raises(RetryableProviderError):
        provider.pull_reports("sms")


def test_wrong_key_is_permanent_configuration_error(provider, infobip_sandbox, settings):
    """401 raises PermanentProviderError flagged as a configuration error."""
    settings.INFOBIP_API_KEY = "wrong"
    with pytest.raises(PermanentProviderError) as caught:
        provider.send("sms", sms(1), OPTIONS)
    assert caught.value.http_status == 401 and caught.value.code == "E401" and caught.value.is_configuration


def test_validation_error_is_permanent_with_violations(provider, infobip_sandbox):
    """400 raises PermanentProviderError with the property paths of the faulty messages."""
    messages = sms(3)
    messages[1] = sms(1, prefix="bad", text="")[0]
    with pytest.raises(PermanentProviderError) as caught:
        provider.send("sms", messages, OPTIONS)
    error = caught.value
    assert error.http_status == 400 and error.code == "E400" and not error.is_configuration
    assert error.violations == [{"property": "messages[1].content.text", "violation": "must not be blank"}]


def test_connection_refused_is_retryable(settings):
    """Nothing listening: RetryableProviderError (the request cannot have been received)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    provider = InfobipProvider(base_url=f"http://127.0.0.1:{port}", api_key="k")
    with pytest.raises(RetryableProviderError) as caught:
        provider.send("sms", sms(1), OPTIONS)
    assert caught.value.code == "CONNECTION_FAILED" and not isinstance(caught.value, AmbiguousProviderError)


def test_unknown_host_is_retryable():
    """A DNS failure is retryable."""
    provider = InfobipProvider(base_url="http://infobip-sandbox.invalid", api_key="k", timeout=(2, 2))
    with pytest.raises(RetryableProviderError) as caught:
        provider.send("sms", sms(1), OPTIONS)
    assert caught.value.code == "CONNECTION_FAILED"


def test_connect_timeout_is_retryable():
    """A listener whose backlog is full never completes the handshake: ConnectTimeout is retryable."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    try:
        provider = InfobipProvider(base_url=f"http://127.0.0.1:{port}", api_key="k", timeout=(0.3, 0.5))
        with pytest.raises(RetryableProviderError) as caught:
            provider.send("sms", sms(1), OPTIONS)
        assert caught.value.code == "CONNECT_TIMEOUT"
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


# Against the canned server -----------------------------------------------------------------------------------------


def test_retry_after_as_http_date(canned_provider, canned_server):
    """Retry-After given as an HTTP date becomes the seconds until then."""
    when = datetime.now(UTC) + timedelta(seconds=30)
    canned_server.answer(
        429,
        '{"errorCode":"E429","description":"Too many requests sent."}',
        {"Retry-After": format_datetime(when, usegmt=True)},
    )
    with pytest.raises(ThrottledProviderError) as caught:
        canned_provider.send("sms", sms(1), OPTIONS)
    assert 25 <= caught.value.retry_after <= 31


@pytest.mark.parametrize(("header", "expected"), [("9999", 600.0), ("", None), ("soon", None), ("-5", 0.0)])
def test_retry_after_is_capped_or_absent(canned_provider, canned_server, header, expected):
    """Retry-After is capped at 600 s, negative means now, absent or junk gives None."""
    canned_server.answer(429, "{}", {"Retry-After": header} if header else {})
    with pytest.raises(ThrottledProviderError) as caught:
        canned_provider.send("sms", sms(1), OPTIONS)
    assert caught.value.retry_after == expected


@pytest.mark.parametrize("status", [400, 401, 403, 404, 413, 422])
def test_client_errors_are_permanent(canned_provider, canned_server, status):
    """400/401/403/404/413/422 raise PermanentProviderError with the ApiError code, description and violations."""
    canned_server.answer(
        status,
        json.dumps(
            {
                "errorCode": f"E{status}",
                "description": "Request cannot be processed.",
                "action": "Fix it.",
                "violations": [{"property": "messages[0].destinations[0].to", "violation": "Invalid +33612345678"}],
                "resources": [],
            }
        ),
    )
    with pytest.raises(PermanentProviderError) as caught:
        canned_provider.send("sms", sms(1), OPTIONS)
    error = caught.value
    assert error.http_status == status and error.code == f"E{status}"
    assert "Request cannot be processed. Fix it." in str(error)
    assert error.violations == [{"property": "messages[0].destinations[0].to", "violation": "Invalid +33******78"}]
    assert error.is_configuration == (status in (401, 403))


def test_legacy_error_shape_is_parsed(canned_provider, canned_server):
    """The legacy requestError.serviceException shape gives code, text and validation errors."""
    canned_server.answer(
        400,
        json.dumps(
            {
                "requestError": {
                    "serviceException": {
                        "messageId": "BAD_REQUEST",
                        "text": "Bad request",
                        "validationErrors": {"messages[0].from": ["must not be null"]},
                    }
                }
            }
        ),
    )
    with pytest.raises(PermanentProviderError) as caught:
        canned_provider.send("sms", sms(1), OPTIONS)
    assert caught.value.code == "BAD_REQUEST" and "Bad request" in str(caught.value)
    assert caught.value.violations == [{"property": "messages[0].from", "violation": "must not be null"}]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_send_is_ambiguous(canned_provider, canned_server, status):
    """Any 5xx on a send is ambiguous, even with an HTML body."""
    canned_server.answer(status, "<html>gateway</html>")
    with pytest.raises(AmbiguousProviderError) as caught:
        canned_provider.send("sms", sms(1), OPTIONS)
    assert caught.value.http_status == status


def test_connection_reset_after_sending_is_ambiguous(canned_provider, canned_server):
    """The server read the request and reset the connection: AmbiguousProviderError."""
    canned_server.answer(drop=True)
    with pytest.raises(AmbiguousProviderError) as caught:
        canned_provider.send("email", emails(1), OPTIONS)
    assert caught.value.code == "CONNECTION_LOST"
    assert len(canned_server.canned.requests) == 1


def test_non_json_200_is_ambiguous(canned_provider, canned_server):
    """A 200 that is not JSON may still mean accepted: AmbiguousProviderError."""
    canned_server.answer(200, "OK")
    with pytest.raises(AmbiguousProviderError):
        canned_provider.send("sms", sms(1), OPTIONS)


def test_200_missing_some_ids_is_ambiguous(canned_provider, canned_server):
    """A 200 answer that does not name every message is ambiguous (look them up)."""
    canned_server.answer(200, json.dumps({"bulkId": "b", "messages": [{"messageId": "op-sms-0", "status": ACCEPTED}]}))
    with pytest.raises(AmbiguousProviderError) as caught:
        canned_provider.send("sms", sms(2), OPTIONS)
    assert caught.value.code == "INCOMPLETE_RESPONSE"


def test_rejected_group_in_answer_is_not_accepted(canned_provider, canned_server):
    """A REJECTED status group in the send answer gives accepted=False with the reason; others stay accepted."""
    rejected = {
        "groupId": 5,
        "groupName": "REJECTED",
        "id": 6,
        "name": "REJECTED_NETWORK",
        "description": "Network not covered for +33612340001",
    }
    canned_server.answer(
        200,
        json.dumps(
            {
                "bulkId": "b",
                "messages": [
                    {"messageId": "op-sms-0", "status": ACCEPTED, "destination": "33612340000"},
                    {"messageId": "op-sms-1", "status": rejected, "destination": "33612340001"},
                ],
            }
        ),
    )
    first, second = canned_provider.send("sms", sms(2), OPTIONS)
    assert first.accepted and first.error_code == ""
    assert not second.accepted and second.status_group == "REJECTED" and second.error_code == "REJECTED_NETWORK"
    assert second.error_text == "Network not covered for +33******01"


def test_request_carries_app_key_and_json(canned_provider, canned_server):
    """The provider sends Authorization: App <key> and a JSON body to /sms/3/messages."""
    canned_server.answer(200, json.dumps({"messages": [{"messageId": "op-sms-0", "status": ACCEPTED}]}))
    canned_provider.send("sms", sms(1), SendOptions())
    method, path, body = canned_server.canned.requests[0]
    assert (method, path) == ("POST", "/sms/3/messages")
    assert json.loads(body)["messages"][0]["destinations"][0]["messageId"] == "op-sms-0"


def test_later_chunk_failure_is_ambiguous(provider, infobip_sandbox, monkeypatch):
    """When a batch is split and a later request fails after an earlier one was accepted, the call is ambiguous."""
    monkeypatch.setattr(provider, "max_batch", {"sms": 2, "email": 2})
    messages = sms(2) + sms(1, prefix="bad", text="")
    with pytest.raises(AmbiguousProviderError) as caught:
        provider.send("sms", messages, OPTIONS)
    assert caught.value.http_status == 400
    assert infobip_sandbox.stats()["distinct_ids"] == 2


def test_split_batch_sends_every_chunk(provider, infobip_sandbox, monkeypatch):
    """A batch larger than max_batch goes out in several requests and every message gets a result."""
    monkeypatch.setattr(provider, "max_batch", {"sms": 40, "email": 40})
    results = provider.send("sms", sms(100), OPTIONS)
    assert len(results) == 100 and all(r.accepted for r in results)
    assert infobip_sandbox.stats()["requests_by_path"]["/sms/3/messages"] == 3

"""One parser of Infobip's delivery results: the webhook and the pull / log lookup read an entry the same way."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from notifications.providers.infobip import client
from notifications.providers.infobip.reports import ReportError, report_from_result
from notifications.webhooks import reports as webhook

ENTRIES = [
    {  # SMS v3 report (docs/infobip.md §4.4)
        "bulkId": "BULK-1",
        "messageId": "op-1",
        "to": "41793026727",
        "sentAt": "2019-11-09T16:00:00.000+0100",
        "doneAt": "2019-11-09T16:00:00.000+0100",
        "messageCount": 1,
        "price": {"pricePerMessage": 0.01, "currency": "EUR"},
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False},
    },
    {  # email report: smsCount, an error, ISO doneAt
        "messageId": "op-2",
        "smsCount": 1,
        "doneAt": "2026-03-01T12:00:00+00:00",
        "status": {"groupId": 2, "groupName": "UNDELIVERABLE", "id": 4, "name": "UNDELIVERABLE_NOT_DELIVERED"},
        "error": {"groupId": 1, "id": 5002, "name": "EC_ABSENT_SUBSCRIBER", "description": "Absent subscriber"},
    },
    {  # group by id only, no doneAt, no error
        "messageId": "op-3",
        "status": {"groupId": 1, "id": 7, "name": "PENDING_ENROUTE"},
    },
]


def test_the_webhook_and_the_provider_use_the_same_parser():
    """Both import the one function; there is no second reader of a result entry."""
    assert webhook.report_from_result is report_from_result
    assert client.report_from_result is report_from_result


def test_webhook_batch_and_pulled_entries_read_the_same():
    """A webhook batch parsed strictly equals the same entries read leniently (as a pull or lookup reads them)."""
    strict = webhook.parse_reports(json.dumps({"results": ENTRIES}).encode())
    assert strict == [report_from_result(entry) for entry in ENTRIES]
    first, second, third = strict
    assert (first.status_group, first.error_name, first.parts) == ("DELIVERED", "", 1)
    assert first.done_at == datetime(2019, 11, 9, 15, 0, tzinfo=UTC)
    assert (second.error_name, second.error_text, second.parts) == ("EC_ABSENT_SUBSCRIBER", "Absent subscriber", 1)
    assert (third.status_group, third.done_at, third.parts) == ("PENDING", None, 0)


@pytest.mark.parametrize(
    ("change", "field", "lenient_value"),
    [
        ({"status": {"groupName": "BOGUS"}}, "status_group", ""),
        ({"status": "DELIVERED"}, "status_group", ""),
        ({"doneAt": "yesterday"}, "done_at", None),
        ({"doneAt": "0001-01-01T00:00:00.000+0100"}, "done_at", None),
        ({"doneAt": "9999-12-31T23:59:59.000-2359"}, "done_at", None),
        ({"doneAt": "2026-01-01T00:00:00"}, "done_at", None),
        ({"status": {"groupId": 3, "name": ["x"]}}, "status_name", ""),
        ({"error": {"id": 9, "name": "E" * 65}}, "error_name", "E" * 64),
    ],
)
def test_strict_refuses_what_lenient_leaves_empty(change, field, lenient_value):
    """The webhook refuses a malformed field; the provider's own answers keep the entry with the field empty."""
    entry = {**ENTRIES[0], **change}
    with pytest.raises(ReportError):
        report_from_result(entry, strict=True)
    assert getattr(report_from_result(entry), field) == lenient_value


@pytest.mark.parametrize("entry", [None, [], "op-1", {}, {"messageId": ""}, {"messageId": None}, {"messageId": []}])
def test_an_entry_without_a_message_id_is_refused_in_both_modes(entry):
    """Nothing can be done with a result that names no message."""
    for strict in (True, False):
        with pytest.raises(ReportError):
            report_from_result(entry, strict=strict)


def test_logs_answer_skips_unreadable_entries_and_keeps_the_rest(caplog):
    """A log answer with an entry of no message id still yields every other entry (each one proves a send)."""
    answer = {"results": [{"status": {"groupId": 3}}, ENTRIES[0], "junk", {**ENTRIES[2], "error": "x"}]}
    reports = list(client._reports(answer, "logs"))
    assert [report.message_id for report in reports] == ["op-1", "op-3"]
    assert "skipped a result entry" in caplog.text

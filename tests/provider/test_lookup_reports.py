"""Looking messages up in Infobip's logs and pulling delivery reports, against the sandbox."""

from __future__ import annotations

import time

from notifications.providers.base import SendOptions
from notifications.providers.infobip.reports import report_from_result
from tests.provider.conftest import emails, sms


def test_lookup_shows_pending_then_final_status(provider, infobip_sandbox):
    """Logs show PENDING until the report is due, then the final group, keyed by our message id."""
    infobip_sandbox.configure(report_delay=0.4)
    provider.send(
        "sms", sms(2, destination="+33612340{n:03d}") + sms(1, prefix="x", destination="+33600000666"), SendOptions()
    )
    early = provider.lookup("sms", ["op-sms-0", "x-0"])
    assert {k: v.status_group for k, v in early.items()} == {"op-sms-0": "PENDING", "x-0": "PENDING"}
    time.sleep(0.5)
    late = provider.lookup("sms", ["op-sms-0", "op-sms-1", "x-0"])
    assert late["op-sms-0"].status_group == "DELIVERED" and late["op-sms-0"].status_name == "DELIVERED_TO_HANDSET"
    assert late["op-sms-0"].done_at is not None and late["op-sms-0"].error_name == ""
    assert late["x-0"].status_group == "UNDELIVERABLE" and late["x-0"].error_name == "EC_ABSENT_SUBSCRIBER"


def test_lookup_asks_100_ids_per_call_and_omits_unknown_ids(provider, infobip_sandbox):
    """250 ids take three log calls; ids the provider never received are absent from the answer."""
    provider.send("sms", sms(240), SendOptions())
    ids = [f"op-sms-{i}" for i in range(240)] + [f"unknown-{i}" for i in range(10)]
    found = provider.lookup("sms", ids)
    assert len(found) == 240 and "unknown-0" not in found
    assert infobip_sandbox.stats()["requests_by_path"]["/sms/3/logs"] == 3


def test_lookup_is_per_channel(provider, infobip_sandbox):
    """An email id is not found in the SMS logs."""
    provider.send("email", emails(1), SendOptions())
    assert provider.lookup("sms", ["op-mail-0"]) == {}
    assert set(provider.lookup("email", ["op-mail-0"])) == {"op-mail-0"}


def test_pull_reports_returns_each_report_once(provider, infobip_sandbox):
    """Reports without a webhook are pulled once each, oldest first, up to the limit."""
    infobip_sandbox.configure(report_delay=0.0)
    provider.send("sms", sms(5, destination="+3361234{n:04d}"), SendOptions())
    provider.send("email", emails(2, local="reject{n}"), SendOptions())
    infobip_sandbox.wait_for_reports()
    first = provider.pull_reports("sms", limit=3)
    second = provider.pull_reports("sms", limit=1000)
    assert [r.message_id for r in first + second] == [f"op-sms-{i}" for i in range(5)]
    assert provider.pull_reports("sms") == []
    mails = provider.pull_reports("email")
    assert {r.status_group for r in mails} == {"REJECTED"} and all(r.parts == 1 for r in mails)


def test_reports_with_failing_webhook_become_pullable(provider, infobip_sandbox, report_receiver):
    """When the webhook keeps failing, the sandbox parks the reports for the pull endpoint."""
    infobip_sandbox.configure(report_delay=0.0, report_retries=1)
    report_receiver.status = 503
    provider.send("sms", sms(3), SendOptions(report_url=report_receiver.url))
    stats = infobip_sandbox.wait_for_reports()
    assert stats["reports"]["failed_posts"] == 1 and stats["reports"]["pullable"]["sms"] == 3
    assert {r.message_id for r in provider.pull_reports("sms")} == {"op-sms-0", "op-sms-1", "op-sms-2"}


def test_report_from_webhook_result_parses_infobip_example():
    """A v3 SMS webhook result (Infobip's documented example) becomes a StatusReport."""
    report = report_from_result(
        {
            "bulkId": "BULK-ID-123-xyz",
            "messageId": "MESSAGE-ID-123-xyz",
            "to": "41793026727",
            "sentAt": "2019-11-09T16:00:00.000+0100",
            "doneAt": "2019-11-09T16:00:00.000+0100",
            "messageCount": 1,
            "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
            "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False},
        }
    )
    assert (report.message_id, report.status_group, report.status_name, report.error_name, report.parts) == (
        "MESSAGE-ID-123-xyz",
        "DELIVERED",
        "DELIVERED_TO_HANDSET",
        "",
        1,
    )
    assert report.done_at.isoformat() == "2019-11-09T16:00:00+01:00"


def test_report_from_result_uses_group_id_and_email_sms_count():
    """Without groupName the group comes from groupId; email reports count parts in smsCount."""
    report = report_from_result(
        {
            "messageId": "m",
            "smsCount": 2,
            "status": {"groupId": 4, "id": 15},
            "error": {"id": 4000, "name": "EXPIRED_TTL", "description": "Expired"},
        }
    )
    assert (report.status_group, report.parts, report.error_name, report.error_text) == (
        "EXPIRED",
        2,
        "EXPIRED_TTL",
        "Expired",
    )

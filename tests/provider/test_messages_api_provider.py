"""The Infobip provider on Viber and WhatsApp against the sandbox: send, pull the reports, look messages up."""

from __future__ import annotations

import time

import pytest

from notifications.channels import ChannelOutput, channel_spec
from notifications.providers.base import OutboundMessage, RetryableProviderError, SendOptions
from tests.channels.schema import validate_report


def _messages(channel: str, n: int) -> list[OutboundMessage]:
    spec = channel_spec(channel)
    output = ChannelOutput(subject="outage_notice", text="Ann") if channel == "whatsapp" else ChannelOutput(text="Hi")
    return [
        spec.outbound(
            message_id=f"op-{channel}-{i}", destination=f"+3361234{i:04d}", language="en", output=output, headers={}
        )
        for i in range(n)
    ]


@pytest.fixture
def senders(settings):
    settings.INFOBIP_VIBER_SENDER = "OutageInfo"
    settings.INFOBIP_WHATSAPP_SENDER = "447491163862"


@pytest.mark.parametrize("channel", ["viber", "whatsapp"])
def test_send_then_pull_reports(provider, senders, infobip_sandbox, channel):
    """Without a webhook the reports wait at /messages-api/1/reports, per channel, each returned once."""
    infobip_sandbox.configure(report_delay=0.05)
    results = provider.send(channel, _messages(channel, 3), SendOptions())
    assert [result.accepted for result in results] == [True] * 3
    assert {result.message_id for result in results} == {f"op-{channel}-{i}" for i in range(3)}
    other = "whatsapp" if channel == "viber" else "viber"
    deadline = time.monotonic() + 10
    pulled = []
    while len(pulled) < 3 and time.monotonic() < deadline:
        assert provider.pull_reports(other) == []  # the channel filter holds
        pulled += provider.pull_reports(channel)
        time.sleep(0.1)
    assert sorted(report.message_id for report in pulled) == [f"op-{channel}-{i}" for i in range(3)]
    assert {report.status_group for report in pulled} == {"DELIVERED"}
    validate_report({"results": [report.raw for report in pulled]})  # GET /messages-api/1/reports's shape
    assert provider.pull_reports(channel) == []


def test_viber_lookup_uses_its_logs_and_whatsapp_has_none(provider, senders, infobip_sandbox):
    """Viber answers from /viber/2/logs; WhatsApp has no documented lookup, so the engine is told to wait, never
    that the message is unknown (which would resend it)."""
    provider.send("viber", _messages("viber", 2), SendOptions())
    found = provider.lookup("viber", ["op-viber-0", "op-viber-1", "op-viber-9"])
    assert set(found) == {"op-viber-0", "op-viber-1"}
    provider.send("whatsapp", _messages("whatsapp", 1), SendOptions())
    with pytest.raises(RetryableProviderError):
        provider.lookup("whatsapp", ["op-whatsapp-0"])

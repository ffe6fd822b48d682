"""Infobip's idempotent sending (``INFOBIP_IDEMPOTENT_CHANNELS``): a resend refused as a duplicate of our messageId is
accepted, never recorded as a rejection, and its REJECTED report or log entry never overrides the message's own.

Against the sandbox with its idempotency switch on (docs/sandbox.md), and a canned server for log answers.
"""

from __future__ import annotations

import json

import pytest

from infobip_sandbox import protocol
from notifications.models import DeliveryReport, Message, Send, message_id_for
from notifications.providers.base import OutboundMessage, SendOptions
from notifications.providers.infobip import InfobipProvider
from notifications.providers.infobip.reports import duplicate_rejection, report_from_result
from notifications.services.dispatch import dispatch_run
from notifications.services.materialize import send_materialize
from notifications.services.reports import reports_record
from tests.factories import ClientFactory
from tests.pipeline.factories import MessageFactory, SendFactory
from tests.provider.conftest import sms

S = Message.State
DUPLICATE_ENTRY = {"messageId": "op-1", "status": protocol.DUPLICATE, "error": protocol.DUPLICATE_ERROR}
PENDING_ENTRY = {"messageId": "op-1", "status": protocol.PENDING_ACCEPTED}


def test_a_refused_copy_is_accepted_on_an_idempotent_channel(provider, infobip_sandbox, settings):
    settings.INFOBIP_IDEMPOTENT_CHANNELS = ["sms"]
    infobip_sandbox.configure(idempotency=True)
    provider.send("sms", sms(2), SendOptions())
    results = {result.message_id: result for result in provider.send("sms", sms(3), SendOptions())}
    for copy in ("op-sms-0", "op-sms-1"):
        assert results[copy].accepted and results[copy].duplicate
        assert results[copy].status_group == "" and results[copy].status_name == "" and not results[copy].error_code
    assert results["op-sms-2"].accepted and not results["op-sms-2"].duplicate
    assert infobip_sandbox.stats()["duplicates"] == {}


def test_without_the_setting_the_refusal_is_an_ordinary_rejection(provider, infobip_sandbox, settings):
    """Turn the setting on only for channels Infobip has enabled: otherwise a refusal reads as a rejection."""
    settings.INFOBIP_IDEMPOTENT_CHANNELS = ["email"]
    infobip_sandbox.configure(idempotency=True)
    provider.send("sms", sms(1), SendOptions())
    [result] = provider.send("sms", sms(1), SendOptions())
    assert not result.accepted and not result.duplicate and result.error_code == protocol.DUPLICATE["name"]


def test_the_constructor_can_name_idempotent_channels(settings):
    settings.INFOBIP_IDEMPOTENT_CHANNELS = []
    assert InfobipProvider(idempotent_channels=frozenset({"sms"})).idempotent("sms")
    assert not InfobipProvider().idempotent("sms")


@pytest.mark.parametrize(
    ("status", "error", "duplicate"),
    [
        (protocol.DUPLICATE, protocol.DUPLICATE_ERROR, True),
        (protocol.DUPLICATE, None, True),
        ({**protocol.REJECTED, "name": "REJECTED_OTHER"}, protocol.DUPLICATE_ERROR, True),
        (protocol.REJECTED, protocol.DESTINATION_BLOCKED, False),
        ({**protocol.DELIVERED, "description": "duplicate"}, None, False),  # only a REJECTED status can be one
        ("REJECTED", None, False),
    ],
)
def test_what_counts_as_a_refused_copy(status, error, duplicate):
    assert duplicate_rejection(status, error) is duplicate


def test_a_refused_copy_in_a_report_carries_no_status_for_the_message():
    """The webhook's strict reading accepts it; it names no group, so it is stored raw and applied to nothing."""
    report = report_from_result(
        {**DUPLICATE_ENTRY, "doneAt": "2026-03-01T12:00:00.000+0000", "to": "33612345678"}, strict=True
    )
    assert report.duplicate and report.status_group == "" and report.status_name == protocol.DUPLICATE["name"]
    plain = report_from_result({**PENDING_ENTRY, "status": protocol.REJECTED}, strict=True)
    assert not plain.duplicate and plain.status_group == "REJECTED"


@pytest.mark.django_db
def test_a_refused_copys_report_never_moves_the_message():
    """Accepted stays accepted through the copy's REJECTED report; the message's own DELIVERED report still lands."""
    message = MessageFactory(state=S.ACCEPTED)
    entry = {**DUPLICATE_ENTRY, "messageId": message.message_id, "doneAt": "2026-03-01T12:00:00.000+0000"}
    outcome = reports_record(reports=[report_from_result(entry, strict=True)])
    message.refresh_from_db()
    assert message.state == S.ACCEPTED and outcome.applied == 0
    assert DeliveryReport.objects.filter(message=message).count() == 1
    delivered = {**entry, "status": protocol.DELIVERED, "error": protocol.NO_ERROR}
    reports_record(reports=[report_from_result(delivered, strict=True)])
    message.refresh_from_db()
    assert message.state == S.DELIVERED


@pytest.mark.parametrize(
    ("entries", "group"),
    [
        ([DUPLICATE_ENTRY, PENDING_ENTRY], "PENDING"),
        ([PENDING_ENTRY, DUPLICATE_ENTRY], "PENDING"),
        ([DUPLICATE_ENTRY], ""),  # Infobip has the message (it refused a copy of it): still found
    ],
)
def test_lookup_prefers_the_messages_own_log_entry(canned_server, canned_provider, entries, group):
    canned_server.answer(body=json.dumps({"results": entries}))
    found = canned_provider.lookup("sms", ["op-1"])
    assert set(found) == {"op-1"} and found["op-1"].status_group == group


@pytest.mark.django_db
def test_dispatch_records_a_refused_resend_as_accepted(sandbox_settings, settings):
    """The engine sends three messages of which Infobip already has two (from an attempt it never heard back
    from): all three end accepted, none rejected, and the sandbox counts each once."""
    settings.INFOBIP_IDEMPOTENT_CHANNELS = ["sms"]
    sandbox_settings.configure(idempotency=True)
    ClientFactory.create_batch(3)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"])
    send_materialize(send_id=send.pk)
    pks = sorted(Message.objects.filter(send=send).values_list("pk", flat=True))
    provider = InfobipProvider()
    earlier = [OutboundMessage(message_id_for(pk), "sms", "+33620000000", "earlier attempt") for pk in pks[:2]]
    provider.send("sms", earlier, SendOptions())
    dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert sorted(Message.objects.filter(send=send).values_list("state", flat=True)) == [S.ACCEPTED] * 3
    stats = sandbox_settings.stats(ids=True)
    assert all(stats["ids"][message_id_for(pk)] == 1 for pk in pks) and stats["duplicates_rejected"] == 2

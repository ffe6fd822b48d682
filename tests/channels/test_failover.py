"""Failover per recipient, without a worker: where each client starts, when the next channel is created, and that it
is created at most once and never after a delivery (services/chain.py, services/failover.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from clients.models import Client
from notifications.models import Message, Send, message_id_for
from notifications.providers.base import StatusReport
from notifications.services.failover import failover_advance, failover_sweep
from notifications.services.materialize import send_materialize
from notifications.services.reports import reports_record
from notifications.services.sends import send_complete_if_done
from tests.factories import ClientFactory
from tests.pipeline.factories import VARIABLES, SendFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
S = Message.State
CONTENT = {
    "en": {"whatsapp": {"template": "outage_notice", "placeholders": "{{ client_name }}"}, "sms": {"text": "Hi"}}
}
SENDERS = {"INFOBIP_WHATSAPP_SENDER": "447491163862", "INFOBIP_VIBER_SENDER": "OutageInfo"}


def _send(**kwargs: object) -> Send:
    fields: dict[str, object] = {
        "state": Send.State.QUEUED,
        "channels": ["whatsapp", "sms"],
        "failover": ["whatsapp", "sms"],
        "content": CONTENT,
        "variables": VARIABLES,
    }
    send = SendFactory(**{**fields, **kwargs})
    send_materialize(send_id=send.pk)
    send.refresh_from_db()
    return send


def _report(row: Message, group: str) -> None:
    reports_record(reports=[StatusReport(message_id=message_id_for(row.pk), status_group=group, status_name=group)])


def _rows(send: Send, client: Client) -> dict[str, Message]:
    return {row.channel: row for row in Message.objects.filter(send=send, client=client)}


@override_settings(**SENDERS)
def test_each_client_starts_on_the_first_channel_it_can_be_reached_on():
    usual = ClientFactory(phone="+33600000001", whatsapp_consent=True)
    no_whatsapp = ClientFactory(phone="+33600000002", whatsapp_consent=False)
    prefers_sms = ClientFactory(phone="+33600000003", whatsapp_consent=True, preferred_channel="sms")
    nowhere = ClientFactory(phone="", whatsapp_consent=True)
    send = _send()
    assert {c: r.state for c, r in _rows(send, usual).items()} == {"whatsapp": S.PENDING}
    started = _rows(send, no_whatsapp)
    assert (started["whatsapp"].state, started["whatsapp"].skip_reason) == (S.SKIPPED, "opted_out")
    assert started["sms"].state == S.PENDING and started["sms"].replaces_id is None
    assert {c: r.state for c, r in _rows(send, prefers_sms).items()} == {"sms": S.PENDING}
    assert {c: (r.state, r.skip_reason) for c, r in _rows(send, nowhere).items()} == {
        "whatsapp": (S.SKIPPED, "no_phone"),
        "sms": (S.SKIPPED, "no_phone"),
    }
    assert send_materialize(send_id=send.pk) == 0


@override_settings(**SENDERS)
def test_a_failed_message_is_replaced_once_by_the_next_channel():
    client = ClientFactory(phone="+33600000011", whatsapp_consent=True)
    send = _send()
    first = _rows(send, client)["whatsapp"]
    Message.objects.filter(pk=first.pk).update(state=S.ACCEPTED, accepted_at=timezone.now())
    _report(first, "UNDELIVERABLE")
    rows = _rows(send, client)
    assert rows["whatsapp"].state == S.UNDELIVERABLE
    assert rows["sms"].state == S.PENDING and rows["sms"].replaces_id == first.pk
    assert rows["sms"].destination == client.phone
    _report(first, "UNDELIVERABLE")  # the same report again, the sweeper, a second sweeper: nothing more
    assert failover_advance(send_id=send.pk) == 0
    assert failover_sweep() == 0
    assert Message.objects.filter(send=send, client=client).count() == 2


@override_settings(**SENDERS)
def test_the_last_channel_failing_ends_the_chain():
    client = ClientFactory(phone="+33600000021", whatsapp_consent=True, preferred_channel="sms")
    send = _send()
    only = _rows(send, client)["sms"]
    Message.objects.filter(pk=only.pk).update(state=S.ACCEPTED, accepted_at=timezone.now())
    _report(only, "REJECTED")
    rows = _rows(send, client)
    assert rows["whatsapp"].state == S.PENDING and rows["whatsapp"].replaces_id == only.pk  # their order: SMS first
    Message.objects.filter(pk=rows["whatsapp"].pk).update(state=S.ACCEPTED, accepted_at=timezone.now())
    _report(rows["whatsapp"], "EXPIRED")
    assert failover_sweep() == 0
    assert Message.objects.filter(send=send, client=client).count() == 2


@override_settings(**SENDERS)
def test_not_delivered_within_the_wait_fails_over_and_a_late_delivery_cancels_what_is_not_sent():
    client = ClientFactory(phone="+33600000031", whatsapp_consent=True)
    send = _send(failover_wait_seconds=60)
    first = _rows(send, client)["whatsapp"]
    Message.objects.filter(pk=first.pk).update(state=S.ACCEPTED, accepted_at=timezone.now() - timedelta(seconds=30))
    assert failover_sweep() == 0  # still within the wait
    assert not send_complete_if_done(send_id=send.pk)  # it may still fail over
    Message.objects.filter(pk=first.pk).update(accepted_at=timezone.now() - timedelta(seconds=61))
    assert failover_sweep() == 1
    replacement = _rows(send, client)["sms"]
    assert replacement.state == S.PENDING and replacement.replaces_id == first.pk
    _report(first, "DELIVERED")  # the first channel made it after all, before the SMS was claimed
    replacement.refresh_from_db()
    assert (replacement.state, replacement.error_code) == (S.CANCELLED, "delivered_earlier")
    assert failover_sweep() == 0


@override_settings(**SENDERS)
def test_nobody_gets_a_next_channel_once_one_is_delivered():
    client = ClientFactory(phone="+33600000041", whatsapp_consent=True)
    send = _send(failover_wait_seconds=60)
    first = _rows(send, client)["whatsapp"]
    Message.objects.filter(pk=first.pk).update(state=S.ACCEPTED, accepted_at=timezone.now() - timedelta(minutes=5))
    failover_sweep()
    second = _rows(send, client)["sms"]
    Message.objects.filter(pk=second.pk).update(state=S.DELIVERED)
    _report(first, "DELIVERED")  # late: both delivered, the client had two messages; nothing more is created
    Message.objects.filter(pk=second.pk).update(state=S.UNDELIVERABLE)
    assert failover_sweep() == 0
    assert Message.objects.filter(send=send, client=client).count() == 2


@override_settings(**SENDERS)
def test_a_completed_send_reopens_for_a_late_failure():
    client = ClientFactory(phone="+33600000051", whatsapp_consent=True)
    send = _send(failover_wait_seconds=60)
    first = _rows(send, client)["whatsapp"]
    Message.objects.filter(pk=first.pk).update(state=S.ACCEPTED, accepted_at=timezone.now() - timedelta(minutes=2))
    Send.objects.filter(pk=send.pk).update(state=Send.State.COMPLETED, completed_at=timezone.now())
    _report(first, "REJECTED")
    send.refresh_from_db()
    assert send.state == Send.State.SENDING
    assert _rows(send, client)["sms"].state == S.PENDING


@override_settings(**SENDERS)
def test_a_send_without_a_chain_is_unchanged():
    client = ClientFactory(phone="+33600000061", whatsapp_consent=True)
    send = _send(failover=[])
    first = _rows(send, client)["whatsapp"]
    assert set(_rows(send, client)) == {"whatsapp", "sms"}
    Message.objects.filter(pk=first.pk).update(state=S.ACCEPTED, accepted_at=timezone.now())
    _report(first, "UNDELIVERABLE")
    assert failover_sweep() == 0
    assert Message.objects.filter(send=send, client=client).count() == 2


@override_settings(VAPID_PRIVATE_KEY="k", WEBPUSH_ALLOW_PRIVATE=True)
def test_a_push_chain_starts_where_the_client_has_a_live_browser():
    """Push addresses are the client's id while a browser is live (clients/channels.py): the chain writes that."""
    from clients.push import subscription_register
    from tests.channels.test_push_registry import AUTH, P256DH

    with_browser = ClientFactory(phone="+33600000011")
    without = ClientFactory(phone="+33600000012")
    subscription_register(client=with_browser, endpoint="http://127.0.0.1:9/push/1", p256dh=P256DH, auth=AUTH)
    content = {"en": {"webpush": {"title": "Outage", "text": "Hi"}, "sms": {"text": "Hi"}}}
    send = _send(channels=["webpush", "sms"], failover=["webpush", "sms"], content=content)
    first = _rows(send, with_browser)
    assert {c: (r.state, r.destination) for c, r in first.items()} == {"webpush": (S.PENDING, str(with_browser.pk))}
    second = _rows(send, without)
    assert second["webpush"].state == S.SKIPPED and second["webpush"].skip_reason == "no_browser"
    assert (second["sms"].state, second["sms"].destination) == (S.PENDING, "+33600000012")


@override_settings(MATERIALIZE_CHUNK_SIZE=2, **SENDERS)
def test_a_chain_is_written_chunk_by_chunk_each_client_starting_once():
    """Materialize writes the audience in chunks (docs/dispatch.md); a chain's rows follow the same client ranges."""
    clients = [ClientFactory(phone=f"+3360000010{i}", whatsapp_consent=i % 2 == 0) for i in range(7)]
    send = _send()
    assert send.materialized_at is not None
    for index, client in enumerate(clients):
        rows = _rows(send, client)
        pending = [channel for channel, row in rows.items() if row.state == S.PENDING]
        assert pending == (["whatsapp"] if index % 2 == 0 else ["sms"]), (index, rows)

"""The pipelined dispatch loop on PostgreSQL: one batch is sent and recorded in a thread while the next is claimed."""

from __future__ import annotations

import threading
from unittest import mock

import pytest

from notifications.models import Message, ProviderCall, Send
from notifications.providers.base import PermanentProviderError
from notifications.services.dispatch import dispatch_run
from notifications.services.materialize import send_materialize
from tests.factories import ClientFactory
from tests.pipeline.factories import SendFactory
from tests.pipeline.fakes import FakeProvider

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class ThreadRecordingProvider(FakeProvider):
    """A fake provider that also notes which threads called ``send``."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.threads: set[str] = set()

    def send(self, channel, messages, options):
        self.threads.add(threading.current_thread().name)
        return super().send(channel, messages, options)


def _send(clients: int, channels: list[str]) -> Send:
    ClientFactory.create_batch(clients)
    send = SendFactory(state=Send.State.QUEUED, channels=channels)
    send_materialize(send_id=send.pk)
    return send


def test_pipelined_run_sends_every_row_once_from_the_sender_thread(settings):
    """Outside a transaction on PostgreSQL, batches go out from the sender thread; each row once, all recorded."""
    settings.DISPATCH_BATCH_SIZE = 7
    send = _send(40, ["sms", "email"])
    provider = ThreadRecordingProvider()
    sms = dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    email = dispatch_run(send_id=send.pk, channel="email", provider=provider)
    assert (sms.messages, sms.accepted, sms.batches) == (40, 40, 6)
    assert (email.messages, email.accepted) == (40, 40)
    assert set(Message.objects.filter(send=send).values_list("state", flat=True)) == {"accepted"}
    assert set(provider.accepted.values()) == {1} and len(provider.accepted) == 80
    assert provider.threads and all(name.startswith("dispatch-send") for name in provider.threads)
    assert ProviderCall.objects.filter(send=send).count() == 12
    send.refresh_from_db()
    assert send.state == Send.State.COMPLETED
    email_out = next(message for message in provider.messages.values() if message.channel == "email")
    link = email_out.headers["List-Unsubscribe"].strip("<>")
    assert link.startswith("http") and link in email_out.html, "one signed link serves header and template"


def test_pipelined_run_stops_when_credentials_are_refused(settings):
    """A 401 in the sender thread pauses the send; the loop stops and no row is left sending."""
    settings.DISPATCH_BATCH_SIZE = 5
    send = _send(20, ["sms"])
    provider = ThreadRecordingProvider()
    provider.script = [PermanentProviderError("bad key", http_status=401, code="E401")]
    summary = dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    send.refresh_from_db()
    assert send.state == Send.State.PAUSED and summary.paused
    states = list(Message.objects.filter(send=send).values_list("state", flat=True))
    assert "sending" not in states and states.count("pending") >= 5


def test_serial_path_when_pipelining_is_off(settings):
    """With DISPATCH_PIPELINE off, batches go out from the calling thread with the same outcome."""
    settings.DISPATCH_PIPELINE = False
    settings.DISPATCH_BATCH_SIZE = 8
    send = _send(20, ["sms"])
    provider = ThreadRecordingProvider()
    summary = dispatch_run(send_id=send.pk, channel="sms", provider=provider)
    assert summary.accepted == 20 and provider.threads == {threading.current_thread().name}


@pytest.mark.parametrize("client_id", [1, 42, 987654321])
def test_unsubscribe_link_matches_the_clients_app(client_id, settings):
    """The per-process unsubscribe link builder yields exactly the URL clients.links builds (same signed token)."""
    from clients import links
    from notifications.services.prepare import unsubscribe_links

    settings.PORTAL_BASE_URL = "https://portal.example.com"
    with mock.patch("time.time", return_value=1_767_225_600.0):  # tokens carry a timestamp: freeze it
        assert unsubscribe_links()(client_id) == links.unsubscribe_url(client_id, "email")


@pytest.mark.parametrize(("action", "expected"), [("pause", "pending"), ("cancel", "cancelled")])
def test_a_claimed_batch_is_not_sent_after_pause_or_cancel(action, expected):
    """A batch claimed before a pause or cancel but not yet sent goes back to pending (attempt refunded) or cancelled."""
    from notifications.services import sends
    from notifications.services.claim import messages_claim
    from notifications.services.deliver import batch_deliver
    from notifications.services.prepare import batch_prepare

    send = _send(6, ["sms"])
    claim = messages_claim(send_id=send.pk, channel="sms", limit=4, lease_seconds=60)
    batch = batch_prepare(send=send, channel="sms", claim=claim)
    getattr(sends, f"send_{action}")(send=send)
    provider = ThreadRecordingProvider()
    batch_deliver(batch=batch, provider=provider)
    assert provider.requests == []
    rows = Message.objects.filter(pk__in=[row.id for row in claim.rows])
    assert set(rows.values_list("state", flat=True)) == {expected}
    assert set(rows.values_list("attempts", flat=True)) == ({0} if expected == "pending" else {1})

"""Materialize in committed chunks: dispatch may start on the first chunk, and nothing is lost, doubled or finished
early on the way (a crash between chunks, a cancel, a pause, quiet hours, the skip reasons)."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db.models import Count
from django.utils import timezone

from clients.models import Client
from notifications.models import Message, Send
from notifications.services import dispatch, materialize, sends, sweep
from notifications.services.doorbell import DISPATCH_TASK, MATERIALIZE_TASK
from tests.factories import ClientFactory
from tests.pipeline.factories import SendFactory
from tests.timing.quiet import window_around_tokyo_now

S = Message.State
CHUNK = 3


@pytest.fixture
def small_chunks(settings):
    settings.MATERIALIZE_CHUNK_SIZE = CHUNK


def _mixed_clients(n: int) -> list[Client]:
    """``n`` clients, some of them not reachable on one channel or the other, in id order."""
    clients = []
    for i in range(n):
        clients.append(
            ClientFactory(
                phone="" if i % 4 == 1 else f"+3361{i:06d}2",
                email_consent=i % 5 != 2,
                is_active=i % 7 != 3,
                language=("fr", "en", "de")[i % 3],
            )
        )
    return clients


def _rows(send: Send) -> set[tuple]:
    return set(
        Message.objects.filter(send=send).values_list(
            "client_id", "channel", "state", "skip_reason", "destination", "language"
        )
    )


def _one_row_per_client_and_channel(send: Send, clients: list[Client]) -> None:
    counts = Message.objects.filter(send=send).values("client_id", "channel").annotate(n=Count("id"))
    assert {c["n"] for c in counts} == {1}, "no client has two rows on a channel"
    keys = {(c["client_id"], c["channel"]) for c in counts}
    assert keys == {(client.pk, channel) for client in clients for channel in send.channels}, "none is missing"


@pytest.mark.django_db
def test_chunks_write_exactly_what_one_pass_writes(settings):
    """Chunks of 3 give the same rows (states, skip reasons, addresses, languages) as one pass, in 4 chunks."""
    clients = _mixed_clients(11)
    settings.MATERIALIZE_CHUNK_SIZE = 10_000
    whole = SendFactory(state=Send.State.QUEUED)
    materialize.send_materialize(send_id=whole.pk)
    settings.MATERIALIZE_CHUNK_SIZE = CHUNK
    chunked = SendFactory(state=Send.State.QUEUED)
    with mock.patch.object(materialize, "_insert", wraps=materialize._insert) as insert:
        assert materialize.send_materialize(send_id=chunked.pk) == 22
    assert insert.call_count == 4 * 2, "11 clients in chunks of 3, each chunk one INSERT per channel"
    assert _rows(chunked) == _rows(whole)
    assert Message.objects.filter(send=chunked, state=S.SKIPPED).exclude(skip_reason="").count() > 0
    _one_row_per_client_and_channel(chunked, clients)
    chunked.refresh_from_db()
    assert chunked.state == Send.State.SENDING and chunked.materialized_at is not None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_first_chunk_is_committed_sending_and_rung_before_the_next_is_written(small_chunks):
    """When the second chunk is written, the first one's rows are committed, the send is sending (claimable) and
    dispatch was rung; the send is not materialized (so not completable) until the last chunk."""
    _mixed_clients(8)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"])
    seen = []
    real_insert = materialize._insert

    def insert(*args, **kwargs):
        fresh = Send.objects.get(pk=send.pk)
        rung = [call.args[0] for call in send_task.call_args_list]
        seen.append((fresh.state, fresh.materialized_at, send.messages.count(), rung.count(DISPATCH_TASK)))
        return real_insert(*args, **kwargs)

    with mock.patch.object(materialize, "_insert", insert), mock.patch("celery.current_app.send_task") as send_task:
        materialize.send_materialize(send_id=send.pk)
    assert seen[0] == (Send.State.QUEUED, None, 0, 0)
    assert seen[1] == (Send.State.SENDING, None, CHUNK, 2)  # DISPATCH_PARALLELISM tasks for the channel
    assert len(seen) == 3 and seen[2][1] is None
    rung = [call.args[0] for call in send_task.call_args_list]
    assert rung == [DISPATCH_TASK] * 4, "rung after the first chunk and after the last"
    send.refresh_from_db()
    assert send.materialized_at is not None and send.messages.count() == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_materialize_that_dies_between_chunks_resumes_with_no_duplicate_and_no_gap(small_chunks):
    """A crash in the middle of the third chunk (after its SMS INSERT, before its email one) rolls back that chunk
    only; the send, already sending, cannot complete; the sweeper rings again once the chunks stopped; the second
    run writes exactly the rest."""
    clients = _mixed_clients(14)
    send = SendFactory(state=Send.State.QUEUED)
    real_insert = materialize._insert
    calls = []

    def crashing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 6:  # chunk 3, second channel
            raise RuntimeError("worker lost")
        return real_insert(*args, **kwargs)

    with mock.patch.object(materialize, "_insert", crashing), mock.patch("celery.current_app.send_task"):
        with pytest.raises(RuntimeError):
            materialize.send_materialize(send_id=send.pk)
    send.refresh_from_db()
    assert send.state == Send.State.SENDING and send.materialized_at is None
    assert send.messages.count() == 2 * CHUNK * 2, "two whole chunks, nothing of the third"
    # Everything written so far is sent: the send is still not complete, rows are to come.
    Message.objects.filter(send=send, state=S.PENDING).update(state=S.ACCEPTED)
    assert not sends.send_complete_if_done(send_id=send.pk)
    # A stalled materialize is left alone within the grace, rung again after it.
    with mock.patch("celery.current_app.send_task") as rang:
        assert sweep.sends_sweep().rematerialized == []
        Send.objects.filter(pk=send.pk).update(
            materialize_requested_at=timezone.now() - timedelta(seconds=sweep.MATERIALIZE_GRACE_SECONDS + 1)
        )
        assert sweep.sends_sweep().rematerialized == [send.pk]
    assert [call.kwargs["args"] for call in rang.call_args_list if call.args[0] == MATERIALIZE_TASK] == [(send.pk,)]
    with mock.patch("celery.current_app.send_task"):
        assert materialize.send_materialize(send_id=send.pk) == 14 * 2 - 2 * CHUNK * 2
        assert materialize.send_materialize(send_id=send.pk) == 0, "a repeated doorbell adds nothing"
    _one_row_per_client_and_channel(send, clients)
    send.refresh_from_db()
    assert send.materialized_at is not None
    Message.objects.filter(send=send, state=S.PENDING).update(state=S.ACCEPTED)
    assert sends.send_complete_if_done(send_id=send.pk)


@pytest.mark.django_db
def test_a_cancel_between_chunks_stops_the_writing(small_chunks):
    _mixed_clients(10)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"])
    materialize._chunk(send.pk, CHUNK)
    sends.send_cancel(send=send)
    assert materialize.send_materialize(send_id=send.pk) == 0
    assert set(send.messages.values_list("state", flat=True)) <= {S.CANCELLED, S.SKIPPED}
    assert send.messages.count() == CHUNK


@pytest.mark.django_db
def test_a_pause_between_chunks_keeps_writing_and_a_resume_sends_the_rest(small_chunks):
    """Paused after the first chunk: no claim takes a row (the send is not sending); resumed before the last chunk,
    the send waits for materialize (queued), whose next chunk makes it sending again."""
    clients = _mixed_clients(10)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"])
    materialize._chunk(send.pk, CHUNK)
    sends.send_pause(send=send)
    materialize._chunk(send.pk, CHUNK)
    send.refresh_from_db()
    assert send.state == Send.State.PAUSED and send.messages.count() == 2 * CHUNK
    sends.send_resume(send=send)
    assert send.state == Send.State.QUEUED
    materialize.send_materialize(send_id=send.pk)
    send.refresh_from_db()
    assert send.state == Send.State.SENDING and send.materialized_at is not None
    _one_row_per_client_and_channel(send, clients)


@pytest.mark.django_db
def test_quiet_hours_hold_the_recipients_of_every_chunk(small_chunks, settings):
    settings.QUIET_HOURS = window_around_tokyo_now()
    settings.QUIET_HOURS_KINDS = ["maintenance"]
    settings.CLIENT_DEFAULT_TIME_ZONE = "America/Sao_Paulo"
    tokyo = [ClientFactory(time_zone="Asia/Tokyo" if i % 2 else "America/Sao_Paulo") for i in range(10)]
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"], notice_kind="maintenance")
    materialize.send_materialize(send_id=send.pk)
    held = set(send.messages.filter(next_attempt_at__isnull=False).values_list("client_id", flat=True))
    assert held == {client.pk for client in tokyo if client.time_zone == "Asia/Tokyo"}


@pytest.mark.django_db
def test_a_dispatch_loop_waits_for_the_next_chunk_only_while_materialize_writes():
    now = timezone.now()
    writing = SendFactory(materialize_requested_at=now)
    assert dispatch._await_chunk(writing, deadline=float("inf"))
    for send in (
        SendFactory(materialize_requested_at=now, materialized_at=now),  # all written
        SendFactory(materialize_requested_at=now - timedelta(seconds=dispatch.CHUNK_WAIT_SECONDS + 1)),  # stalled
        SendFactory(materialize_requested_at=None),  # never asked (made by hand)
    ):
        assert not dispatch._await_chunk(send, deadline=float("inf"))


@pytest.mark.django_db
def test_the_sweeper_rings_again_only_a_materialize_whose_chunks_stopped():
    """Sending without ``materialized_at``: rung again only when its last chunk is older than the grace; a send
    made sending by hand (no materialize ever stamped it) is not materialized behind its maker's back."""
    old = timezone.now() - timedelta(seconds=sweep.MATERIALIZE_GRACE_SECONDS + 1)
    SendFactory(created_at=old)
    SendFactory(materialize_requested_at=timezone.now())
    stalled = SendFactory(materialize_requested_at=old)
    with mock.patch("celery.current_app.send_task"):
        assert sweep.sends_sweep().rematerialized == [stalled.pk]

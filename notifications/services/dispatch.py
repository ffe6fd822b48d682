"""The dispatch loop: claim a batch, prepare it, deliver and record it, until a send's channel has nothing due.

Why a loop of its own: the steps are separate modules (``claim.py``, ``prepare.py``, ``deliver.py``,
``record.py``), and this one decides their rhythm. On PostgreSQL the ``BatchSender`` delivers and records one batch
in a thread while the loop claims and renders the next, so HTTP, PostgreSQL and Python overlap; every batch is
still claimed, sent and recorded on its own (its own claim, a token-fenced record), so crash safety never depends
on the thread. Every half lease, and when nothing is claimable before it gives up, the loop asks the reconciler
about rows whose lease expired, and it reports when the send and channel next have work (a retry time, a lease
expiry). While materialize is still writing the send's rows in chunks (``materialized_at`` unset), a loop that
caught up with it waits for the next chunk instead of ending.
"""

from __future__ import annotations

import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Case, DateTimeField, F, When
from django.utils import timezone

from notifications.models import Message, Send
from notifications.providers import channel_provider
from notifications.providers.base import BaseProvider, SendOptions
from notifications.services.claim import messages_claim
from notifications.services.deliver import batch_deliver
from notifications.services.fence import request_budget
from notifications.services.prepare import PreparedBatch, batch_prepare, send_options
from notifications.services.ratelimit import pace_batch_size
from notifications.services.reconcile import messages_reconcile
from notifications.services.record import Decision
from notifications.services.sends import send_complete_if_done
from notifications.services.validity import messages_expire

S = Message.State
CHUNK_POLL_SECONDS = 0.05  # how often a worker that ran out of rows looks for materialize's next chunk
CHUNK_WAIT_SECONDS = 10.0  # it stops looking when materialize wrote nothing for this long


@dataclass
class DispatchSummary:
    batches: int = 0
    messages: int = 0
    accepted: int = 0
    paused: bool = False
    next_due: datetime | None = None


class BatchSender:
    """Delivers and records batches in a thread of its own, one batch at a time.

    While one batch waits for the provider and its result UPDATE, the caller claims and renders the next. A batch
    the process dies with stays ``sending`` under its lease and is looked up before any resend.
    """

    def __init__(self, provider: BaseProvider) -> None:
        self.provider = provider
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dispatch-send")
        self._pending: Future[dict[int, Decision]] | None = None

    def _run(self, batch: PreparedBatch) -> dict[int, Decision]:
        try:
            return batch_deliver(batch=batch, provider=self.provider)
        except Exception:
            connection.close()  # the next batch starts on a fresh connection (e.g. after PostgreSQL dropped it)
            raise

    def submit(self, batch: PreparedBatch) -> dict[int, Decision] | None:
        """Hand over ``batch``; returns the decisions of the previous one (waiting for it), if any."""
        previous = self.wait()
        self._pending = self._executor.submit(self._run, batch)
        return previous

    def wait(self) -> dict[int, Decision] | None:
        """Wait for the batch in flight; returns its decisions (re-raising what it raised)."""
        pending, self._pending = self._pending, None
        return pending.result() if pending is not None else None

    def close(self) -> dict[int, Decision] | None:
        try:
            return self.wait()
        finally:
            self._executor.submit(_close_connection).result()
            self._executor.shutdown(wait=True)


def _close_connection() -> None:
    """Close the calling thread's own connection (``connection`` resolves per thread when called, not before)."""
    connection.close()


def _pipelined() -> bool:
    """Overlap batches in a thread on PostgreSQL, outside any transaction (a thread could not see its rows)."""
    return bool(settings.DISPATCH_PIPELINE) and connection.vendor == "postgresql" and not connection.in_atomic_block


def _await_chunk(send: Send, deadline: float) -> bool:
    """Nothing claimable, but a materialize wrote a chunk of this send less than ``CHUNK_WAIT_SECONDS`` ago (each
    chunk stamps ``materialize_requested_at``) and has not written the last: wait a moment, then claim again. A
    stalled or dead materialize is the sweeper's; the chunk that completes the audience rings dispatch anyway."""
    stamp = send.materialize_requested_at
    if send.materialized_at is not None or stamp is None or time.monotonic() + CHUNK_POLL_SECONDS >= deadline:
        return False
    if (timezone.now() - stamp).total_seconds() > CHUNK_WAIT_SECONDS:
        return False
    time.sleep(CHUNK_POLL_SECONDS)
    return True


def next_due(*, send_id: int, channel: str, budget: float = 0.0) -> datetime | None:
    """When this send and channel next has work: the earliest retry time or takeover of a leased row."""
    pending = (
        Message.objects.filter(send_id=send_id, channel=channel, state=S.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if Message.objects.filter(send_id=send_id, channel=channel, state=S.PENDING, next_attempt_at__isnull=True).exists():
        return timezone.now()
    # A row held by a claim can be taken over only ``budget`` seconds after its lease (fence.takeover_q).
    takeover = Case(
        When(claim_token__isnull=True, then=F("lease_until")),
        default=F("lease_until") + timedelta(seconds=budget),
        output_field=DateTimeField(),
    )
    leased = (
        Message.objects.filter(send_id=send_id, channel=channel, state=S.SENDING)
        .annotate(takeover=takeover)
        .order_by("takeover")
        .values_list("takeover", flat=True)
        .first()
    )
    candidates = [when for when in (pending, leased) if when is not None]
    return min(candidates) if candidates else None


def dispatch_run(
    *, send_id: int, channel: str, provider: BaseProvider | None = None, time_budget: float = 600.0
) -> DispatchSummary:
    """Claim and send batches of one send and channel until nothing is claimable (or the time budget is spent)."""
    summary = DispatchSummary()
    deadline = time.monotonic() + time_budget
    provider = provider or channel_provider(channel)
    batch_size = min(settings.DISPATCH_BATCH_SIZE, provider.max_batch.get(channel, settings.DISPATCH_BATCH_SIZE))
    send = Send.objects.filter(pk=send_id).first()
    if send is not None:
        batch_size = pace_batch_size(send.pace_per_minute, batch_size)
    sender = BatchSender(provider) if send is not None and _pipelined() else None

    def tally(decisions: dict[int, Decision] | None) -> None:
        if decisions:
            summary.accepted += sum(1 for d in decisions.values() if d.state == S.ACCEPTED)

    # Rows of a stalled or dead worker are looked up while the loop runs too, not only once nothing is claimable:
    # on a busy worker the reconciler's own beat task may wait behind this loop for as long as it runs.
    reconcile_every = settings.DISPATCH_LEASE_SECONDS / 2
    next_reconcile = time.monotonic() + reconcile_every
    try:
        options: SendOptions | None = None
        while send is not None and time.monotonic() < deadline:
            if time.monotonic() >= next_reconcile:
                messages_reconcile(send_id=send_id, channel=channel, provider=provider)
                next_reconcile = time.monotonic() + reconcile_every
            # The claim only takes rows of a send in state sending, so a pause or cancel stops it at once; the
            # send row is read again only when nothing was claimed.
            claim = messages_claim(
                send_id=send_id, channel=channel, limit=batch_size, lease_seconds=settings.DISPATCH_LEASE_SECONDS
            )
            if not claim.rows:
                if sender is not None:
                    tally(sender.wait())
                send = Send.objects.filter(pk=send_id).first()
                if send is None or send.state != Send.State.SENDING:
                    break
                if send.valid_until is not None:  # nothing claimable may mean its validity ended: expire the rest
                    messages_expire(send_id=send_id)
                if messages_reconcile(send_id=send_id, channel=channel, provider=provider):
                    continue
                if _await_chunk(send, deadline):
                    continue  # materialize is still writing the audience: its next chunk is moments away
                break
            options = options or send_options(send)
            batch = batch_prepare(send=send, channel=channel, claim=claim, options=options)
            summary.batches += 1
            summary.messages += len(claim.rows)
            if sender is not None:
                tally(sender.submit(batch))
            else:
                tally(batch_deliver(batch=batch, provider=provider))
    finally:
        if sender is not None:
            tally(sender.close())
    if send is not None and send.state != Send.State.SENDING:
        summary.paused = send.state == Send.State.PAUSED
    send_complete_if_done(send_id=send_id)
    summary.next_due = next_due(send_id=send_id, channel=channel, budget=request_budget(provider))
    return summary

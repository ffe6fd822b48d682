"""Failover per recipient: a client whose message failed, or was not delivered within the wait, gets the next channel.

A send's chain (``Send.failover``, e.g. WhatsApp → SMS) starts each client on one channel (``services/chain.py``).
A row of the chain that ends undeliverable, rejected, expired (by the provider) or failed, or stays ``accepted``
longer than ``Send.failover_wait_seconds``, gets one replacement: a ``pending`` row on the next channel of the
client's order that it can be reached on (channels it cannot be reached on get ``skipped`` rows first), with
``replaces`` pointing at it. That row then goes through the normal claim, fence and dispatch path.

Exactly once, by construction:
- a row is replaced at most once: ``replaces`` is unique (a partial unique index) and inserts ignore conflicts, so
  two computations at once (two report batches, the sweeper) insert one set of rows; no lock serialises them (a
  per-send lock made the report webhook wait for itself);
- a client never gets a channel twice in a send (the (send, client, channel) constraint);
- nobody gets a next channel once one of the chain's rows is delivered (the candidate query checks), so a late
  "delivered" for the first channel never produces a third message;
- a late "delivered" for a row already replaced after its wait cancels the replacement if it has not been claimed
  yet (``cancelled``, error ``delivered_earlier``); one already claimed goes out: the client then has two messages,
  which is what a wait shorter than the channel's real delivery time costs (docs/channels.md, "Failover").

Callers: the report path (``reports.py``, at once for failures and deliveries) and the sweeper (waits, and any row
the report path missed, e.g. ``failed`` rows from the dispatch loop).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import DatabaseError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.models import Client
from notifications.models import Message, Send
from notifications.services.chain import chain_of, client_order, new_row, reasons_query
from notifications.services.doorbell import dispatch_kick
from notifications.services.sends import send_reopen
from notifications.services.validity import EXPIRED_CODE

logger = logging.getLogger(__name__)
S = Message.State
DELIVERED_EARLIER = "delivered_earlier"
BATCH = 5000
RECENT = timedelta(days=1)  # completed sends whose late reports may still fail over


def failover_send_ids(now: datetime) -> list[int]:
    """Sends with a chain that may still fail over: sending, or completed in the last day, and still valid."""
    return list(
        Send.objects.exclude(failover=[])
        .filter(is_test=False)
        .filter(Q(state=Send.State.SENDING) | Q(state=Send.State.COMPLETED, completed_at__gt=now - RECENT))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .values_list("pk", flat=True)
    )


def _candidates(send: Send, chain: list[str], now: datetime, pks: Iterable[int] | None) -> list[tuple[int, int, str]]:
    """(row id, client id, channel) of the chain's rows due a replacement."""
    cutoff = now - timedelta(seconds=send.failover_wait_seconds)
    same_client = Message.objects.filter(send_id=send.pk, client_id=OuterRef("client_id"), channel__in=chain)
    rows_per_client = same_client.order_by().values("client_id").annotate(n=Count("pk")).values("n")
    failed = Q(state__in=Message.FAILURE_STATES) & ~Q(error_code=EXPIRED_CODE)
    waited = Q(state=S.ACCEPTED, accepted_at__lt=cutoff)
    if pks is None:
        rows = Message.objects.filter(send_id=send.pk)
    else:  # by primary key only: with the send's id too, PostgreSQL scans the whole send by its state index
        rows = Message.objects.filter(pk__in=list(pks))
    rows = rows.filter(failed | waited, client__isnull=False, channel__in=chain)
    # Scalar subqueries, not NOT EXISTS: as an anti-join PostgreSQL scanned every delivered row of the send for each
    # candidate; as a subplan each is one probe of the (send, client, channel) index.
    delivered = same_client.filter(state=S.DELIVERED).order_by().values("client_id").annotate(n=Count("pk"))
    rows = (
        rows.filter(~Exists(Message.objects.filter(replaces=OuterRef("pk"))))
        .annotate(chain_rows=rows_per_client, delivered_rows=Coalesce(Subquery(delivered.values("n")), 0))
        .filter(chain_rows__lt=len(chain), delivered_rows=0)
        .order_by("pk")
    )
    found = rows.values_list("pk", "client_id", "channel", "send_id")[:BATCH]
    return [(pk, client_id, channel) for pk, client_id, channel, send_id in found if send_id == send.pk]


def failover_advance(*, send_id: int, pks: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Create the replacement rows due in one send (only among ``pks`` when given); returns pending rows created."""
    now = now or timezone.now()
    with transaction.atomic():
        send = Send.objects.filter(pk=send_id).first()
        chain = chain_of(send) if send is not None else []
        if send is None or not chain or send.state not in (Send.State.SENDING, Send.State.COMPLETED):
            return 0
        due = _candidates(send, chain, now, pks)
        if not due:
            return 0
        client_ids = {client_id for _pk, client_id, _channel in due}
        clients = {c["pk"]: c for c in reasons_query(send, chain, Client.objects.filter(pk__in=client_ids))}
        taken: dict[int, set[str]] = defaultdict(set)
        existing = Message.objects.filter(send=send, client_id__in=client_ids, channel__in=chain)
        for client_id, channel in existing.values_list("client_id", "channel"):
            taken[client_id].add(channel)
        rows: list[Message] = []
        for pk, client_id, _channel in due:
            client = clients.get(client_id)
            if client is None:  # erased since
                continue
            chosen = _next_rows(send, chain, client, taken[client_id])
            if chosen:
                chosen[-1].replaces_id = pk  # the last row (pending, or the last skip) marks this one as replaced
                rows.extend(chosen)
        rows.sort(key=lambda row: (row.client_id, row.channel))  # one order for every writer: no deadlock
        Message.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        pending = sorted({row.channel for row in rows if row.state == S.PENDING})
        created = sum(1 for row in rows if row.state == S.PENDING)
        if pending:
            send_reopen(send_id=send.pk)
            dispatch_kick(send_id=send.pk, channels=pending, parallel=1)  # a running loop takes them too
    if created:
        logger.info("send %s: %d failover message(s) on %s", send_id, created, ", ".join(pending))
    return created


def _next_rows(send: Send, chain: list[str], client: dict, taken: set[str]) -> list[Message]:
    """The skipped rows and the one pending row that continue a client's chain after its last row."""
    rows = []
    for channel in client_order(chain, client["preferred_channel"]):
        if channel in taken:
            continue
        reason = client[f"r_{channel}"]
        address = client[f"a_{channel}"]
        rows.append(new_row(send, client["pk"], channel, address, client["language"], reason))
        if not reason:
            break
    return rows


def failover_after_reports(states: dict[int, str]) -> None:
    """Right after reports were applied: fail over the rows that failed, cancel what a late delivery made needless."""
    interesting = [pk for pk, state in states.items() if state == S.DELIVERED or state in Message.FAILURE_STATES]
    if not interesting:
        return
    rows = (
        Message.objects.filter(pk__in=interesting, client__isnull=False)
        .exclude(send__failover=[])
        .values_list("pk", "send_id", "client_id", "state")
    )
    failed: dict[int, list[int]] = defaultdict(list)
    delivered: list[int] = []
    for pk, send_id, _client_id, state in rows:
        if state == S.DELIVERED:
            delivered.append(pk)
        elif state in Message.FAILURE_STATES:
            failed[send_id].append(pk)
    if delivered:
        failover_cancel_needless(delivered=delivered)
    for send_id, pks in failed.items():
        try:
            failover_advance(send_id=send_id, pks=pks)
        except DatabaseError as error:  # the reports are stored; the sweeper creates these rows on its next round
            logger.warning("send %s: failover left to the sweeper: %s", send_id, type(error).__name__)


def failover_cancel_needless(*, delivered: list[int]) -> int:
    """Replacements not yet claimed of rows now delivered (late, after their wait) are cancelled.

    Found through ``replaces`` (its partial unique index holds only replacement rows): looking them up by send and
    client instead made PostgreSQL scan the send's pending rows on every report batch.
    """
    now = timezone.now()
    count = Message.objects.filter(replaces_id__in=delivered, state=S.PENDING).update(
        state=S.CANCELLED,
        error_code=DELIVERED_EARLIER,
        error_text="Delivered on an earlier channel of the chain before this one went out.",
        done_at=now,
        updated_at=now,
    )
    if count:
        logger.info("%d failover message(s) cancelled: the message they replace was delivered after all", count)
    return count


def failover_sweep(*, now: datetime | None = None) -> int:
    """The sweeper's part: replacements due in every send with a chain (waits, and anything the reports missed)."""
    now = now or timezone.now()
    return sum(failover_advance(send_id=send_id, now=now) for send_id in failover_send_ids(now))

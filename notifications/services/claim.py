"""Claiming: a worker takes a batch of due ``pending`` rows of one send and channel, with a lease and a token.

Why a claim: any number of workers share a send, and none may take a row another holds. The claim picks rows
with ``FOR NO KEY UPDATE SKIP LOCKED``, marks them ``sending`` with a lease and a fresh claim token, counts the
attempt, and commits before any HTTP, so nothing is held across a request. The token is the claim's identity: the
result UPDATE (``record.py``) is fenced by it, and the reconciler (``reconcile.py``) replaces it when it takes
expired rows over, so a worker that outlived its lease can no longer write. The ``Claim`` carries the end of its
lease, so whoever holds it can tell how long it still owns the rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import Message, Send
from notifications.recipients import RecipientData

S = Message.State
TABLE = Message._meta.db_table


@dataclass(frozen=True)
class ClaimedRow:
    id: int
    channel: str
    destination: str
    language: str
    attempts: int
    recipient: RecipientData


@dataclass
class Claim:
    token: uuid.UUID
    rows: list[ClaimedRow]
    lease_until: datetime


CLAIM_FIELDS = (
    "pk",
    "channel",
    "destination",
    "language",
    "attempts",
    "client_id",
    "client__name",
    "client__account",
    "client__external_ref",
    "client__region",
    "client__plan",
    "client__network",
    "client__time_zone",
    "client__attributes",
    "test_recipient__name",
)


def token_param(token: uuid.UUID) -> Any:
    """A claim token as the backend stores it (uuid on PostgreSQL, hex text on SQLite)."""
    return Message._meta.get_field("claim_token").get_db_prep_value(token, connection)


def _claimed_row(values: tuple[Any, ...]) -> ClaimedRow:
    pk, chan, destination, language, attempts, client_id, name, account, ref, *own, tester_name = values
    region, plan, network, zone, attributes = own  # the client's own fields, for {{ region }}, dates, attributes
    recipient = (
        RecipientData(
            client_id=client_id,
            name=name or "",
            account=account or "",
            external_ref=ref or "",
            region=region or "",
            plan=plan or "",
            network=network or "",
            time_zone=zone or "",
            attributes=attributes,
        )
        if client_id
        else RecipientData(client_id=None, name=tester_name or "", external_ref="TEST")
    )
    return ClaimedRow(
        id=pk, channel=chan, destination=destination, language=language, attempts=attempts, recipient=recipient
    )


def _claim_sql() -> str:
    """Pick, mark and read a batch in one statement: one round trip, no explicit transaction."""
    client = Message._meta.get_field("client").related_model._meta.db_table
    tester = Message._meta.get_field("test_recipient").related_model._meta.db_table
    # The send's state is checked once (an uncorrelated InitPlan), not per row; and no ORDER BY, so the index scan
    # on (send, state, channel) stops after ``limit`` rows instead of reading and sorting every pending row of the
    # send on every claim (equal index keys come in heap order, which is roughly id order anyway).
    return (
        f"WITH picked AS (SELECT m.id FROM {TABLE} m WHERE m.send_id = %s AND m.channel = %s "
        f"AND m.state = 'pending' AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= %s) "
        f"AND EXISTS (SELECT 1 FROM {Send._meta.db_table} s WHERE s.id = %s AND s.state = 'sending' "
        f"AND (s.valid_until IS NULL OR s.valid_until > %s)) "  # past its validity nothing is claimed (validity.py)
        f"LIMIT %s FOR NO KEY UPDATE OF m SKIP LOCKED), "
        f"claimed AS (UPDATE {TABLE} AS t SET state = 'sending', lease_until = %s, claim_token = %s, "
        f"attempts = t.attempts + 1, sent_at = %s, updated_at = %s FROM picked WHERE t.id = picked.id "
        f"RETURNING t.id, t.channel, t.destination, t.language, t.attempts, t.client_id, t.test_recipient_id) "
        # The client's own columns come with the row the join reads anyway; attributes as text, parsed only when a
        # template reads one (notifications.content.RecipientData).
        f"SELECT c.id, c.channel, c.destination, c.language, c.attempts, c.client_id, cl.name, cl.account, "
        f"cl.external_ref, cl.region, cl.plan, cl.network, cl.time_zone, cl.attributes::text, tr.name "
        f"FROM claimed c LEFT JOIN {client} cl ON cl.id = c.client_id "
        f"LEFT JOIN {tester} tr ON tr.id = c.test_recipient_id ORDER BY c.id"
    )


def messages_claim(*, send_id: int, channel: str, limit: int, lease_seconds: int) -> Claim:
    """Claim up to ``limit`` due pending rows of a sending send, committed before any HTTP; returns them."""
    token = uuid.uuid4()
    now = timezone.now()
    lease_until = now + timedelta(seconds=lease_seconds)
    if connection.vendor == "postgresql":
        # A single statement is its own transaction in autocommit (and a savepoint-free step inside one).
        with connection.cursor() as cursor:
            cursor.execute(
                _claim_sql(),
                [send_id, channel, now, send_id, now, limit, lease_until, token_param(token), now, now],
            )
            rows = [_claimed_row(values) for values in cursor.fetchall()]
        return Claim(token=token, rows=rows, lease_until=lease_until)
    # SQLite: the transaction is IMMEDIATE (settings), so the select and the update cannot interleave.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT m.id FROM {TABLE} m WHERE m.send_id = %s AND m.channel = %s AND m.state = 'pending' "
                f"AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= %s) AND EXISTS (SELECT 1 FROM "
                f"{Send._meta.db_table} s WHERE s.id = m.send_id AND s.state = 'sending' AND (s.valid_until IS NULL "
                f"OR s.valid_until > %s)) ORDER BY m.id LIMIT %s",
                [send_id, channel, *[connection.ops.adapt_datetimefield_value(now)] * 2, limit],
            )
            ids = [row[0] for row in cursor.fetchall()]
        if ids:
            Message.objects.filter(pk__in=ids, state=S.PENDING).update(
                state=S.SENDING,
                lease_until=lease_until,
                claim_token=token,
                sent_at=now,
                updated_at=now,
                attempts=F("attempts") + 1,
            )
    if not ids:
        return Claim(token=token, rows=[], lease_until=lease_until)
    queryset = Message.objects.filter(pk__in=ids, claim_token=token).order_by("pk").values_list(*CLAIM_FIELDS)
    return Claim(token=token, rows=[_claimed_row(values) for values in queryset], lease_until=lease_until)

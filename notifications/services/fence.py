"""The fence around every provider request: a worker sends only rows it still owns, for long enough, and nobody
takes rows over while a request of their owner can still be on its way.

Why: the claim token fences the database write (``record.py``), not the HTTP request. A worker that stalls after
its claim (a frozen container, a long pause, a network cut) can come back after the reconciler gave its rows to
another worker, which may have sent them already; if it then sends them too, the customer gets two messages. So:

- **before each batch's request** ``claim_hold`` asks, in one query, for the send's state and how many of the
  claim's rows still carry its token and are ``sending``; the batch goes out only if the lease has at least
  ``request_budget`` seconds left (the longest request plus ``DISPATCH_REQUEST_MARGIN_SECONDS``), else it is given
  back (``pending``, attempt refunded) or, if the rows are no longer ours, left alone;
- **right before the socket write** the provider checks a monotonic deadline (``SendOptions.not_after``, from the
  same numbers; no round trip), so a worker frozen between the check and the request does not send either;
- **the reconciler** takes rows still held by a claim over only ``request_budget`` seconds after their lease
  ended (``takeover_q``): a worker that passed its check just before the end has finished or given up its request
  by then. Rows whose worker already recorded an unknown outcome hold no token and are looked up when their grace
  ends.

What is left: a worker frozen for longer than the budget in the few instructions between its last check and the
bytes leaving the socket, or bytes held in the network past it (TCP retransmits a request after a cut even when
its client has given up). Only the provider can refuse such a copy: Infobip's idempotent sending by our messageId
(``INFOBIP_IDEMPOTENT_CHANNELS``, docs/infobip.md). Worker clocks must agree to well within the margin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from notifications.models import Message, Send
from notifications.providers.base import BaseProvider
from notifications.services.claim import Claim, token_param

S = Message.State
TABLE = Message._meta.db_table


@dataclass(frozen=True)
class Hold:
    """What one check found: the send's state, the rows still ours (``None``: all of them) and the lease left;
    the send's validity end as it is now (``validity.py``)."""

    send_state: str | None
    owned: frozenset[int] | None
    seconds_left: float
    valid_until: datetime | None = None

    def owns(self, pk: int) -> bool:
        return self.owned is None or pk in self.owned

    @property
    def lost(self) -> bool:
        return self.owned is not None and not self.owned


def request_budget(provider: BaseProvider) -> float:
    """Seconds a claim must still own its rows to send them: the longest request plus the margin."""
    return provider.longest_request() + float(settings.DISPATCH_REQUEST_MARGIN_SECONDS)


def _owned_sql(select: str) -> str:
    # All rows of a claim share its lease_until, so the partial lease index (state = 'sending') finds exactly them.
    return f"SELECT {select} FROM {TABLE} m WHERE m.state = 'sending' AND m.lease_until = %s AND m.claim_token = %s"


def claim_hold(*, claim: Claim, send_id: int) -> Hold:
    """One query: the send's state and whether every row of ``claim`` is still ours; a second only if some left."""
    lease = connection.ops.adapt_datetimefield_value(claim.lease_until)
    token = token_param(claim.token)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.state, ({_owned_sql('COUNT(*)')}), s.valid_until FROM {Send._meta.db_table} s WHERE s.id = %s",
            [lease, token, send_id],
        )
        row = cursor.fetchone()
        state, count, valid_until = (row[0], int(row[1]), _aware(row[2])) if row else (None, 0, None)
        owned: frozenset[int] | None = None
        if count < len(claim.rows):
            if count:
                cursor.execute(_owned_sql("m.id"), [lease, token])
                owned = frozenset(pk for (pk,) in cursor.fetchall())
            else:
                owned = frozenset()
    left = (claim.lease_until - timezone.now()).total_seconds()
    return Hold(send_state=state, owned=owned, seconds_left=left, valid_until=valid_until)


def _aware(value: datetime | str | None) -> datetime | None:
    """A timestamp read by a raw cursor: PostgreSQL gives an aware datetime, SQLite UTC text or a naive datetime."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    parsed = parse_datetime(value)
    return parsed.replace(tzinfo=UTC) if parsed is not None and parsed.tzinfo is None else parsed


def takeover_q(*, now: datetime, budget: float) -> Q:
    """``sending`` rows another worker may take over at ``now``.

    A row held by a claim (it has a token): once its lease and then ``budget`` seconds have passed. A row whose
    worker recorded an unknown outcome (no token, nobody will send it): as soon as its grace lease ends.
    """
    held_until = now - timedelta(seconds=budget)
    return Q(state=S.SENDING) & (Q(lease_until__lt=held_until) | Q(claim_token__isnull=True, lease_until__lt=now))

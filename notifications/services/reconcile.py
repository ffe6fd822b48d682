"""Rows whose outcome is unknown are looked up at the provider, by our message id, before anything is resent.

A row stays ``sending`` past its lease when its worker died or stalled, or on purpose after a timeout or a 5xx (a
short grace lease, and no token). The reconciler takes such rows over with a new claim token (fencing out the old
worker), asks the provider's logs about them, and marks the ones it knows ``accepted`` (applying any final status
it reports); the ones it never received go back to ``pending`` with a backoff. If the lookup itself fails, they stay
leased and are asked again later: never resent blind. A row still held by a claim is taken over only once its lease
and then the longest request have passed (``fence.takeover_q``), so its worker cannot still be sending it.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from notifications.models import DeliveryReport, Message, Send, message_id_for, pk_from_message_id
from notifications.providers import channel_provider, get_provider, provider_named
from notifications.providers.base import BaseProvider
from notifications.services.backoff import backoff_delay
from notifications.services.bulksql import update_from_values
from notifications.services.claim import token_param
from notifications.services.fence import request_budget, takeover_q
from notifications.services.reports import report_state, reports_record
from notifications.services.sends import send_complete_if_done

logger = logging.getLogger(__name__)
S = Message.State
TABLE = Message._meta.db_table
LOOKUP_CHUNK = 100
ExpiredRow = tuple[int, str, int, int, str]  # id, channel, attempts, send id, provider


def _take_expired(
    *, send_id: int | None, channel: str | None, limit: int, token: uuid.UUID, budget: float
) -> list[ExpiredRow]:
    """Give expired-lease rows a new token and lease in one short transaction; returns them as ``ExpiredRow``."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.DISPATCH_LEASE_SECONDS)
    scope = takeover_q(now=now, budget=budget)
    if send_id is not None:
        scope &= Q(send_id=send_id)
    if channel is not None:
        scope &= Q(channel=channel)
    with transaction.atomic():
        queryset = Message.objects.filter(scope).order_by("pk")
        if connection.vendor == "postgresql":
            queryset = queryset.select_for_update(skip_locked=True, no_key=True)
        ids = list(queryset.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        Message.objects.filter(pk__in=ids).update(claim_token=token, lease_until=lease, updated_at=now)
    return list(
        Message.objects.filter(pk__in=ids, claim_token=token).values_list(
            "pk", "channel", "attempts", "send_id", "provider"
        )
    )


def _resolve(provider: BaseProvider, channel: str, rows: list[ExpiredRow], token: uuid.UUID) -> int:
    ids = [message_id_for(pk) for pk, *_rest in rows]
    try:
        known = provider.lookup(channel, ids)
    except Exception as error:  # ask again after the grace period; never resend without an answer
        logger.warning("lookup of %d %s message(s) failed: %s", len(ids), channel, type(error).__name__)
        retry_at = timezone.now() + timedelta(seconds=settings.DISPATCH_AMBIGUOUS_GRACE_SECONDS)
        # No token: nothing is in flight for these rows, so they are asked again as soon as the grace ends.
        Message.objects.filter(pk__in=[row[0] for row in rows], claim_token=token).update(
            lease_until=retry_at, claim_token=None
        )
        return 0
    now = timezone.now()
    found_pks = [pk for pk in (pk_from_message_id(mid) for mid in known) if pk is not None]
    found = Message.objects.filter(pk__in=found_pks, claim_token=token, state=S.SENDING).update(
        state=S.ACCEPTED, accepted_at=now, lease_until=None, error_code="", error_text="", updated_at=now
    )
    reports = [report for report in known.values() if report_state(report) is not None]
    if reports:
        reports_record(reports=reports, source=DeliveryReport.Source.LOGS, channel=channel)
    cancelled = set(
        Send.objects.filter(pk__in={row[3] for row in rows}, state=Send.State.CANCELLED).values_list("pk", flat=True)
    )
    missing: list[tuple[int, str, datetime | None, datetime | None, str]] = []
    for pk, _channel, attempts, send_id, _provider in rows:
        if message_id_for(pk) in known:
            continue
        if send_id in cancelled:
            missing.append((pk, S.CANCELLED, None, now, "cancelled"))
        elif attempts >= settings.DISPATCH_MAX_ATTEMPTS:
            missing.append((pk, S.FAILED, None, now, f"gave up after {attempts} attempts"))
        else:
            missing.append((pk, S.PENDING, now + timedelta(seconds=backoff_delay(attempts)), None, ""))
    update_from_values(
        table=TABLE,
        columns=[("id", "int"), ("state", "text"), ("next_at", "datetime"), ("done", "datetime"), ("note", "text")],
        rows=missing,
        set_sql="state = v.state, next_attempt_at = v.next_at, done_at = v.done, lease_until = NULL, "
        "error_text = CASE WHEN v.note = '' THEN m.error_text ELSE v.note END",
        where_sql="m.claim_token = %s AND m.state = 'sending'",
        where_params=[token_param(token)],
    )
    return found + len(missing)


def messages_reconcile(
    *, send_id: int | None = None, channel: str | None = None, provider: BaseProvider | None = None, limit: int = 1000
) -> int:
    """Resolve rows left ``sending`` past their lease; returns how many were resolved (found or put back)."""
    token = uuid.uuid4()
    budget = request_budget(provider or get_provider())
    rows = _take_expired(send_id=send_id, channel=channel, limit=limit, token=token, budget=budget)
    if not rows:
        return 0
    resolved = 0
    # Each row is asked about at the provider its last request went to (a secondary, while a breaker was open).
    per_channel: dict[tuple[str, str], list[ExpiredRow]] = {}
    for row in rows:
        per_channel.setdefault((row[1], row[4]), []).append(row)
    for (chan, name), chan_rows in per_channel.items():
        base = provider or channel_provider(chan)
        asked = base if name in ("", base.name) else provider_named(name, default=base)
        for start in range(0, len(chan_rows), LOOKUP_CHUNK):
            resolved += _resolve(asked, chan, chan_rows[start : start + LOOKUP_CHUNK], token)
    if resolved:
        # The rows resolved here may have been a send's last open ones: complete it now, not at the next sweep.
        for touched in sorted({row[3] for row in rows}):
            send_complete_if_done(send_id=touched)
    logger.info("reconciled %d of %d message(s) left in sending", resolved, len(rows))
    return resolved

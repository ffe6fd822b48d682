"""Recording: every decision about a claimed batch written in one UPDATE, fenced by the claim token.

Why one fenced UPDATE: a batch of a thousand results costs one statement (``bulksql.update_from_values``), and
``WHERE claim_token = <ours>`` means a worker whose rows were taken over by the reconciler (its lease expired)
writes nothing. A row that is no longer ``sending`` keeps its state (a report may have moved it on already). A row
whose outcome is unknown stays ``sending`` under a short grace lease and loses its token: no request of this claim
is in flight any more, so the reconciler need not wait for one (``fence.py``). A ``Decision`` is what the other
steps hand over: rendering may fail a row (``prepare.py``), the provider's answer decides the rest (``deliver.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.content import Rendered
from notifications.models import Message
from notifications.providers.base import SendResult
from notifications.services.bulksql import update_from_values
from notifications.services.claim import Claim, ClaimedRow, token_param

S = Message.State
TABLE = Message._meta.db_table


@dataclass
class Decision:
    """What happened to one message of a batch."""

    state: str  # accepted, failed, rejected, pending (retry), sending (unknown: look it up first), cancelled
    result: SendResult | None = None
    error_code: str = ""
    error_text: str = ""
    delay: float = 0.0  # seconds before the next attempt (pending)
    refund: bool = False  # the attempt does not count (429, 401/403, a batch that never went out)
    provider: str = ""  # the provider a request carrying it went to ("": no request, the row keeps its own)


RECORD_COLUMNS = [
    ("id", "int"),
    ("state", "text"),
    ("next_at", "datetime"),
    ("lease", "datetime"),
    ("refund", "int"),
    ("pid", "text"),
    ("bulk", "text"),
    ("status_name", "text"),
    ("err_code", "text"),
    ("err_text", "text"),
    ("subject", "text"),
    ("body", "text"),
    ("html", "text"),
    ("parts", "int"),
    ("done", "datetime"),
    ("accepted", "datetime"),
    ("provider", "text"),
]
SET_SQL = (
    "state = CASE WHEN m.state = 'sending' THEN v.state ELSE m.state END, "
    "next_attempt_at = v.next_at, lease_until = CASE WHEN m.state = 'sending' THEN v.lease ELSE NULL END, "
    # A row left sending (unknown outcome) is no longer held by this worker's claim: the reconciler may look it up
    # as soon as its grace lease ends (fence.takeover_q), without waiting for a request that already ended.
    "claim_token = CASE WHEN m.state = 'sending' AND v.state = 'sending' THEN NULL ELSE m.claim_token END, "
    "attempts = m.attempts - v.refund, "
    "provider_message_id = CASE WHEN v.pid = '' THEN m.provider_message_id ELSE v.pid END, "
    "bulk_id = CASE WHEN v.bulk = '' THEN m.bulk_id ELSE v.bulk END, "
    "status_name = CASE WHEN v.status_name = '' OR m.state <> 'sending' THEN m.status_name ELSE v.status_name END, "
    "error_code = v.err_code, error_text = v.err_text, subject = v.subject, body = v.body, html = v.html, "
    "parts = v.parts, done_at = COALESCE(m.done_at, v.done), accepted_at = COALESCE(m.accepted_at, v.accepted), "
    "provider = CASE WHEN v.provider = '' THEN m.provider ELSE v.provider END, "
    "updated_at = %s"
)


def _final_state(row: ClaimedRow, decision: Decision, max_attempts: int) -> Decision:
    if decision.state == S.PENDING and not decision.refund and row.attempts >= max_attempts:
        return Decision(
            S.FAILED,
            error_code=decision.error_code or "max_attempts",
            error_text=f"gave up after {row.attempts} attempts: {decision.error_text}"[:500],
            provider=decision.provider,
        )
    return decision


def messages_record(
    *, claim: Claim, decisions: dict[int, Decision], rendered: dict[int, Rendered], ambiguous_grace: float
) -> int:
    """Write every decision of a batch in one UPDATE fenced by the claim token; returns rows written."""
    now = timezone.now()
    max_attempts = settings.DISPATCH_MAX_ATTEMPTS
    rows = []
    for row in claim.rows:
        decision = decisions.get(row.id)
        if decision is None:
            continue
        decision = _final_state(row, decision, max_attempts)
        result = decision.result
        content = rendered.get(row.id)
        next_at = now + timedelta(seconds=decision.delay) if decision.state == S.PENDING else None
        lease = now + timedelta(seconds=ambiguous_grace) if decision.state == S.SENDING else None
        is_final = decision.state in Message.FINAL_STATES
        rows.append(
            (
                row.id,
                decision.state,
                next_at,
                lease,
                1 if decision.refund else 0,
                (result.provider_message_id if result else "")[:200],
                (result.bulk_id if result else "")[:100],
                (result.status_name if result else "")[:64],
                (decision.error_code or "")[:64],
                (decision.error_text or "")[:500],
                (content.subject if content else "")[:1000],
                content.text if content else "",
                content.html if content else "",
                (result.parts if result and result.parts else (content.parts if content else 0)),
                now if is_final else None,
                now if decision.state == S.ACCEPTED else None,
                decision.provider[:16],
            )
        )
    return update_from_values(
        table=TABLE,
        columns=RECORD_COLUMNS,
        rows=rows,
        set_sql=SET_SQL,
        set_params=[connection.ops.adapt_datetimefield_value(now)],
        where_sql="m.claim_token = %s",
        where_params=[token_param(claim.token)],
    )

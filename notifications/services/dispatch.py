"""The dispatch loop: claim a batch, render it, send it in one request, record the outcome in bulk.

A worker claims due ``pending`` rows of one send and channel with ``FOR UPDATE SKIP LOCKED`` (so any number of
workers share a send and never take the same row), marks them ``sending`` with a lease and a fresh claim token, and
commits before any HTTP. Results are written by one UPDATE fenced by that token, so a worker that outlived its
lease cannot overwrite what the reconciler decided. When the outcome of a request is unknown (read timeout, 5xx)
the rows stay ``sending`` with a short lease and are looked up at the provider by our message id before anything
is resent (``reconcile.py``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.urls import get_urlconf, reverse
from django.utils import timezone

from clients import links
from clients.models import Channel
from notifications.content import ContentRenderer, RecipientData, Rendered
from notifications.models import Message, ProviderCall, Send, message_id_for
from notifications.providers import get_provider
from notifications.providers.base import (
    AmbiguousProviderError,
    BaseProvider,
    OutboundMessage,
    PermanentProviderError,
    RetryableProviderError,
    SendOptions,
    SendResult,
    ThrottledProviderError,
)
from notifications.services.backoff import backoff_delay, throttle_delay
from notifications.services.bulksql import update_from_values
from notifications.services.ratelimit import ratelimit_wait
from notifications.services.sends import send_complete_if_done
from outage_portal.webhook_auth import current_url_token

logger = logging.getLogger(__name__)
S = Message.State
TABLE = Message._meta.db_table


# Claiming ------------------------------------------------------------------------------------------------------


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
    "test_recipient__name",
)


def _claimed_row(values: tuple) -> ClaimedRow:
    pk, chan, destination, language, attempts, client_id, name, account, ref, tester_name = values
    recipient = (
        RecipientData(client_id=client_id, name=name or "", account=account or "", external_ref=ref or "")
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
        f"AND EXISTS (SELECT 1 FROM {Send._meta.db_table} s WHERE s.id = %s AND s.state = 'sending') "
        f"LIMIT %s FOR NO KEY UPDATE OF m SKIP LOCKED), "
        f"claimed AS (UPDATE {TABLE} AS t SET state = 'sending', lease_until = %s, claim_token = %s, "
        f"attempts = t.attempts + 1, sent_at = %s, updated_at = %s FROM picked WHERE t.id = picked.id "
        f"RETURNING t.id, t.channel, t.destination, t.language, t.attempts, t.client_id, t.test_recipient_id) "
        f"SELECT c.id, c.channel, c.destination, c.language, c.attempts, c.client_id, cl.name, cl.account, "
        f"cl.external_ref, tr.name FROM claimed c LEFT JOIN {client} cl ON cl.id = c.client_id "
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
                _claim_sql(), [send_id, channel, now, send_id, limit, lease_until, token_param(token), now, now]
            )
            return Claim(token=token, rows=[_claimed_row(values) for values in cursor.fetchall()])
    # SQLite: the transaction is IMMEDIATE (settings), so the select and the update cannot interleave.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT m.id FROM {TABLE} m WHERE m.send_id = %s AND m.channel = %s AND m.state = 'pending' "
                f"AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= %s) AND EXISTS (SELECT 1 FROM "
                f"{Send._meta.db_table} s WHERE s.id = m.send_id AND s.state = 'sending') ORDER BY m.id LIMIT %s",
                [send_id, channel, connection.ops.adapt_datetimefield_value(now), limit],
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
        return Claim(token=token, rows=[])
    queryset = Message.objects.filter(pk__in=ids, claim_token=token).order_by("pk").values_list(*CLAIM_FIELDS)
    return Claim(token=token, rows=[_claimed_row(values) for values in queryset])


# Rendering -----------------------------------------------------------------------------------------------------

_renderers: OrderedDict[int, ContentRenderer] = OrderedDict()


def renderer_for(send: Send) -> ContentRenderer:
    """One renderer per send per worker process: a send's content is frozen, so its compiled templates are too."""
    renderer = _renderers.get(send.pk)
    if renderer is None:
        renderer = ContentRenderer(
            content=send.content,
            fallback_language=send.fallback_language,
            variables=send.variables,
            sms_stop_line=send.sms_stop_line,
        )
        _renderers[send.pk] = renderer
        while len(_renderers) > 16:
            _renderers.popitem(last=False)
    return renderer


def report_url() -> str:
    token = current_url_token()
    path = (
        reverse("notifications:infobip_reports", args=[token])
        if token
        else reverse("notifications:infobip_reports_plain")
    )
    return settings.PORTAL_BASE_URL + path


_TOKEN_MARK = "0token0"


@lru_cache(maxsize=8)
def _unsubscribe_url_parts(base_url: str, urlconf: str) -> tuple[str, str]:
    head, _mark, tail = (base_url + reverse("clients:unsubscribe", args=[_TOKEN_MARK])).partition(_TOKEN_MARK)
    return head, tail


def unsubscribe_links() -> Callable[[int], str]:
    """A builder of ``links.unsubscribe_url(client_id, "email")`` that reverses the URL once, not once per email."""
    head, tail = _unsubscribe_url_parts(settings.PORTAL_BASE_URL, str(get_urlconf() or settings.ROOT_URLCONF))
    return lambda client_id: head + links.unsubscribe_token(client_id, Channel.EMAIL) + tail


def unsubscribe_link(client_id: int) -> str:
    return unsubscribe_links()(client_id)


def _outbound(row: ClaimedRow, rendered: Rendered, unsubscribe: str = "", *, message_id: str = "") -> OutboundMessage:
    headers = {}
    if row.channel == Channel.EMAIL and row.recipient.client_id:
        unsubscribe = unsubscribe or unsubscribe_link(row.recipient.client_id)
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return OutboundMessage(
        message_id=message_id or message_id_for(row.id),
        channel=row.channel,
        destination=row.destination,
        text=rendered.text,
        subject=rendered.subject,
        html=rendered.html,
        headers=headers,
    )


# Sending and classifying ---------------------------------------------------------------------------------------


@dataclass
class Decision:
    """What happened to one message of a batch."""

    state: str  # accepted, failed, rejected, pending (retry), sending (unknown: look it up first)
    result: SendResult | None = None
    error_code: str = ""
    error_text: str = ""
    delay: float = 0.0  # seconds before the next attempt (pending)
    refund: bool = False  # the attempt does not count (429, 401/403)


@dataclass
class BatchContext:
    provider: BaseProvider
    send: Send
    channel: str
    options: SendOptions
    calls: list[ProviderCall] = field(default_factory=list)
    configuration_error: str = ""


def _call(
    ctx: BatchContext, count: int, outcome: str, started: float, *, status: int | None = None, error: str = ""
) -> None:
    ctx.calls.append(
        ProviderCall(
            send_id=ctx.send.pk,
            channel=ctx.channel,
            message_count=count,
            outcome=outcome,
            http_status=status,
            error=error[:500],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    )


def _decide_results(messages: list[OutboundMessage], results: list[SendResult]) -> dict[str, Decision]:
    by_id = {result.message_id: result for result in results}
    decisions = {}
    for message in messages:
        result = by_id.get(message.message_id)
        if result is None:
            decisions[message.message_id] = Decision(S.SENDING, error_text="missing from the provider's answer")
        elif result.accepted:
            decisions[message.message_id] = Decision(S.ACCEPTED, result=result)
        else:
            state = S.REJECTED if (result.status_group or "").upper() == "REJECTED" else S.FAILED
            decisions[message.message_id] = Decision(
                state, result=result, error_code=result.error_code, error_text=result.error_text or result.status_name
            )
    return decisions


def _deliver(ctx: BatchContext, messages: list[OutboundMessage]) -> dict[str, Decision]:
    """Send ``messages`` in one request; a 400 on several messages is bisected to find the ones at fault."""
    started = time.monotonic()
    everyone = [message.message_id for message in messages]
    try:
        results = ctx.provider.send(ctx.channel, messages, ctx.options)
    except ThrottledProviderError as error:
        _call(ctx, len(messages), ProviderCall.Outcome.THROTTLED, started, status=error.http_status, error=str(error))
        delay = throttle_delay(error.retry_after, 1)
        return {
            mid: Decision(S.PENDING, error_code="429", error_text=str(error)[:500], delay=delay, refund=True)
            for mid in everyone
        }
    except PermanentProviderError as error:
        _call(ctx, len(messages), ProviderCall.Outcome.PERMANENT, started, status=error.http_status, error=str(error))
        if error.is_configuration:
            ctx.configuration_error = f"{error.http_status}: {error}"
            return {
                mid: Decision(S.PENDING, error_code=str(error.http_status), error_text=str(error)[:500], refund=True)
                for mid in everyone
            }
        if len(messages) > 1:
            middle = len(messages) // 2
            return {**_deliver(ctx, messages[:middle]), **_deliver(ctx, messages[middle:])}
        return {
            everyone[0]: Decision(
                S.FAILED, error_code=error.code or str(error.http_status or ""), error_text=_violations(error)
            )
        }
    except RetryableProviderError as error:
        _call(ctx, len(messages), ProviderCall.Outcome.RETRYABLE, started, status=error.http_status, error=str(error))
        if error.http_status and error.http_status >= 500:
            # A 5xx may come after the provider stored the messages: look them up before resending.
            return {mid: Decision(S.SENDING, error_text=str(error)[:500]) for mid in everyone}
        return {
            mid: Decision(S.PENDING, error_text=str(error)[:500], error_code=str(error.http_status or ""))
            for mid in everyone
        }
    except AmbiguousProviderError as error:
        _call(ctx, len(messages), ProviderCall.Outcome.AMBIGUOUS, started, status=error.http_status, error=str(error))
        return {mid: Decision(S.SENDING, error_text=str(error)[:500]) for mid in everyone}
    except Exception as error:  # an unexpected failure may also have happened after the request went out
        logger.exception("provider send failed unexpectedly (send %s, %s)", ctx.send.pk, ctx.channel)
        _call(ctx, len(messages), ProviderCall.Outcome.AMBIGUOUS, started, error=type(error).__name__)
        return {mid: Decision(S.SENDING, error_text=type(error).__name__) for mid in everyone}
    _call(ctx, len(messages), ProviderCall.Outcome.ACCEPTED, started, status=200)
    return _decide_results(messages, results)


def _violations(error: PermanentProviderError) -> str:
    details = "; ".join(f"{v.get('property', '')}: {v.get('violation', '')}" for v in error.violations)
    return (f"{error} ({details})" if details else str(error))[:500]


# Recording -----------------------------------------------------------------------------------------------------

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
]


def _final_state(row: ClaimedRow, decision: Decision, max_attempts: int) -> Decision:
    if decision.state == S.PENDING and not decision.refund and row.attempts >= max_attempts:
        return Decision(
            S.FAILED,
            error_code=decision.error_code or "max_attempts",
            error_text=f"gave up after {row.attempts} attempts: {decision.error_text}"[:500],
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
            )
        )
    return update_from_values(
        table=TABLE,
        columns=RECORD_COLUMNS,
        rows=rows,
        set_sql=(
            "state = CASE WHEN m.state = 'sending' THEN v.state ELSE m.state END, "
            "next_attempt_at = v.next_at, lease_until = CASE WHEN m.state = 'sending' THEN v.lease "
            "ELSE NULL END, attempts = m.attempts - v.refund, "
            "provider_message_id = CASE WHEN v.pid = '' THEN m.provider_message_id ELSE v.pid END, "
            "bulk_id = CASE WHEN v.bulk = '' THEN m.bulk_id ELSE v.bulk END, "
            "status_name = CASE WHEN v.status_name = '' OR m.state <> 'sending' THEN m.status_name "
            "ELSE v.status_name END, "
            "error_code = v.err_code, error_text = v.err_text, subject = v.subject, body = v.body, html = v.html, "
            "parts = v.parts, done_at = COALESCE(m.done_at, v.done), accepted_at = COALESCE(m.accepted_at, v.accepted),"
            " updated_at = %s"
        ),
        set_params=[connection.ops.adapt_datetimefield_value(now)],
        where_sql="m.claim_token = %s",
        where_params=[token_param(claim.token)],
    )


def token_param(token: uuid.UUID):
    """A claim token as the backend stores it (uuid on PostgreSQL, hex text on SQLite)."""
    return Message._meta.get_field("claim_token").get_db_prep_value(token, connection)


# The loop ------------------------------------------------------------------------------------------------------


@dataclass
class DispatchSummary:
    batches: int = 0
    messages: int = 0
    accepted: int = 0
    paused: bool = False
    next_due: datetime | None = None


@dataclass
class PreparedBatch:
    """A claimed batch, rendered and ready to go out."""

    send: Send
    channel: str
    claim: Claim
    rendered: dict[int, Rendered]
    outbound: list[OutboundMessage]
    decisions: dict[int, Decision]  # rows already decided (a template that failed to render)
    options: SendOptions


def batch_prepare(*, send: Send, channel: str, claim: Claim, options: SendOptions | None = None) -> PreparedBatch:
    """Render every row of a claim (templates compiled once per send) and build the outbound messages."""
    renderer = renderer_for(send)
    rendered: dict[int, Rendered] = {}
    decisions: dict[int, Decision] = {}
    outbound: list[OutboundMessage] = []
    link = unsubscribe_links() if channel == Channel.EMAIL else None
    prefix = message_id_for(0)[:-1]  # "op-": our ids are the prefix and the row's pk
    for row in claim.rows:
        # One signature per client email serves both the List-Unsubscribe header and the template's link.
        unsubscribe = link(row.recipient.client_id) if link and row.recipient.client_id else ""
        try:
            content = renderer.render(
                recipient=row.recipient, language=row.language, channel=channel, unsubscribe_url=unsubscribe or None
            )
        except Exception as error:  # a template that slipped past validation fails its own rows only
            decisions[row.id] = Decision(S.FAILED, error_code="render", error_text=str(error)[:500])
            continue
        rendered[row.id] = content
        outbound.append(_outbound(row, content, unsubscribe, message_id=f"{prefix}{row.id}"))
    options = options or SendOptions(report_url=report_url(), reference=send.reference)
    return PreparedBatch(
        send=send,
        channel=channel,
        claim=claim,
        rendered=rendered,
        outbound=outbound,
        decisions=decisions,
        options=options,
    )


def batch_deliver(*, batch: PreparedBatch, provider: BaseProvider) -> dict[int, Decision]:
    """Rate-limit, send in one request and record the outcome of a prepared batch in one fenced UPDATE."""
    send, channel, claim, decisions = batch.send, batch.channel, batch.claim, batch.decisions
    ctx = BatchContext(provider=provider, send=send, channel=channel, options=batch.options)
    if batch.outbound:
        ratelimit_wait(channel=channel, cost=len(batch.outbound), max_wait=settings.DISPATCH_LEASE_SECONDS / 4)
        # A batch may wait here (rate limit, the batch ahead of it in the pipeline) after its claim: if the send was
        # paused or cancelled meanwhile, it does not go out at all.
        state = Send.objects.filter(pk=send.pk).values_list("state", flat=True).first()
        if state != Send.State.SENDING:
            return _release(batch, cancelled=state in (None, Send.State.CANCELLED))
        by_message_id = _deliver(ctx, batch.outbound)
        prefix = message_id_for(0)[:-1]
        pk_of = {f"{prefix}{row.id}": row.id for row in claim.rows}
        decisions.update({pk_of[mid]: decision for mid, decision in by_message_id.items() if mid in pk_of})
    for row in claim.rows:
        decision = decisions.get(row.id)
        if decision and decision.state == S.PENDING and not decision.refund and not decision.delay:
            decision.delay = backoff_delay(row.attempts)
    messages_record(
        claim=claim,
        decisions=decisions,
        rendered=batch.rendered,
        ambiguous_grace=settings.DISPATCH_AMBIGUOUS_GRACE_SECONDS,
    )
    if ctx.calls:
        ProviderCall.objects.bulk_create(ctx.calls)
    if ctx.configuration_error:
        logger.error("provider refused our credentials; pausing send %s (%s)", send.pk, ctx.configuration_error)
        Send.objects.filter(pk=send.pk, state=Send.State.SENDING).update(state=Send.State.PAUSED)
    return decisions


def _release(batch: PreparedBatch, *, cancelled: bool) -> dict[int, Decision]:
    """Give back a claimed batch that never went out: ``pending`` again (attempt refunded), or ``cancelled``."""
    if cancelled:
        decisions = {
            row.id: Decision(S.CANCELLED, error_text="send cancelled before this batch went out")
            for row in batch.claim.rows
        }
    else:
        decisions = {
            row.id: Decision(S.PENDING, refund=True, error_text="send paused before this batch went out")
            for row in batch.claim.rows
        }
    messages_record(
        claim=batch.claim, decisions=decisions, rendered={}, ambiguous_grace=settings.DISPATCH_AMBIGUOUS_GRACE_SECONDS
    )
    return decisions


def dispatch_batch(*, send: Send, channel: str, claim: Claim, provider: BaseProvider) -> dict[int, Decision]:
    """Render, rate-limit, send and record one claimed batch."""
    return batch_deliver(batch=batch_prepare(send=send, channel=channel, claim=claim), provider=provider)


class BatchSender:
    """Sends and records batches in a thread of its own, one batch at a time.

    While one batch waits for the provider and its result UPDATE, the caller claims and renders the next, so
    HTTP, PostgreSQL and Python overlap. Every batch is still claimed, sent and recorded exactly as in the serial
    path (own claim transaction, token-fenced record), so crash safety does not depend on the thread: a batch the
    process dies with stays ``sending`` under its lease and is looked up before any resend.
    """

    def __init__(self, provider: BaseProvider) -> None:
        self.provider = provider
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dispatch-send")
        self._pending: Future | None = None

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
    return settings.DISPATCH_PIPELINE and connection.vendor == "postgresql" and not connection.in_atomic_block


def next_due(*, send_id: int, channel: str) -> datetime | None:
    """When this send and channel next has work: the earliest retry time or lease expiry."""
    pending = (
        Message.objects.filter(send_id=send_id, channel=channel, state=S.PENDING)
        .order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if Message.objects.filter(send_id=send_id, channel=channel, state=S.PENDING, next_attempt_at__isnull=True).exists():
        return timezone.now()
    leased = (
        Message.objects.filter(send_id=send_id, channel=channel, state=S.SENDING)
        .order_by("lease_until")
        .values_list("lease_until", flat=True)
        .first()
    )
    candidates = [when for when in (pending, leased) if when is not None]
    return min(candidates) if candidates else None


def dispatch_run(
    *, send_id: int, channel: str, provider: BaseProvider | None = None, time_budget: float = 600.0
) -> DispatchSummary:
    """Claim and send batches of one send and channel until nothing is claimable (or the time budget is spent)."""
    from notifications.services.reconcile import messages_reconcile

    summary = DispatchSummary()
    deadline = time.monotonic() + time_budget
    provider = provider or get_provider()
    batch_size = min(settings.DISPATCH_BATCH_SIZE, provider.max_batch.get(channel, settings.DISPATCH_BATCH_SIZE))
    send = Send.objects.filter(pk=send_id).first()
    sender = BatchSender(provider) if send is not None and _pipelined() else None

    def tally(decisions: dict[int, Decision] | None) -> None:
        if decisions:
            summary.accepted += sum(1 for d in decisions.values() if d.state == S.ACCEPTED)

    try:
        options = None
        while send is not None and time.monotonic() < deadline:
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
                if messages_reconcile(send_id=send_id, channel=channel, provider=provider):
                    continue
                break
            options = options or SendOptions(report_url=report_url(), reference=send.reference)
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
    summary.next_due = next_due(send_id=send_id, channel=channel)
    return summary

"""Delivering: a prepared batch goes out in one provider request and every message gets a decision.

Why the care: the outcome of a request decides whether a message may ever be sent again. Accepted and rejected
messages are final; a 429 or a request certainly not received goes back to ``pending`` (a 429 or refused
credentials do not count as an attempt); an unknown outcome (read timeout, 5xx, an unexpected exception) stays
``sending`` under a short lease, to be looked up at the provider by our message id before anything is resent
(``reconcile.py``). A 400 on several messages is split in halves until the messages at fault are found, so one
bad address does not fail its batch. Before the request the batch passes the fence (``fence.py``): the send still
sending, the rows still ours and the lease long enough for the longest request, else it does not go out. Every
request is recorded as a ``ProviderCall``, and the decisions in one fenced UPDATE (``record.py``). ``_request`` is
the only place that calls the provider.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace

from django.conf import settings

from notifications.models import Message, ProviderCall, Send, message_id_for
from notifications.providers.base import (
    RETRY,
    THROTTLED,
    UNKNOWN,
    UNSENT,
    AmbiguousProviderError,
    BaseProvider,
    NotSentError,
    OutboundMessage,
    PermanentProviderError,
    RetryableProviderError,
    SendOptions,
    SendResult,
    ThrottledProviderError,
)
from notifications.services.backoff import backoff_delay, throttle_delay
from notifications.services.fence import Hold, claim_hold, request_budget
from notifications.services.prepare import PreparedBatch
from notifications.services.ratelimit import ratelimit_wait
from notifications.services.record import Decision, messages_record
from notifications.services.route import provider_health, provider_route
from notifications.services.validity import expired_decision, is_past, provider_minutes, seconds_left

logger = logging.getLogger(__name__)
S = Message.State


@dataclass
class BatchContext:
    provider: BaseProvider
    send: Send
    channel: str
    options: SendOptions
    calls: list[ProviderCall] = field(default_factory=list)
    configuration_error: str = ""
    #: What the requests told the breaker: True answered, False timed out / 5xx / lost, None nothing either way.
    healthy: bool | None = None


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
        elif result.outcome:  # a provider that sends each message alone: this one's request decided nothing
            decisions[message.message_id] = _undecided(result.outcome, result.error_code, result.error_text)
        else:
            state = S.REJECTED if (result.status_group or "").upper() == "REJECTED" else S.FAILED
            decisions[message.message_id] = Decision(
                state, result=result, error_code=result.error_code, error_text=result.error_text or result.status_name
            )
    return decisions


def _undecided(outcome: str, code: str, text: str) -> Decision:
    if outcome == UNKNOWN:
        return Decision(S.SENDING, error_text=text or code)
    if outcome == UNSENT:
        return Decision(S.PENDING, error_code=NOT_SENT, error_text=text, refund=True)
    delay = throttle_delay(None, 1) if outcome == THROTTLED else 0.0
    return Decision(S.PENDING, error_code=code, error_text=text, delay=delay, refund=outcome == THROTTLED)


def _health(results: list[SendResult]) -> bool | None:
    if any(result.accepted or not result.outcome for result in results):
        return True
    return False if any(result.outcome in (RETRY, UNKNOWN) for result in results) else None


def _violations(error: PermanentProviderError) -> str:
    details = "; ".join(f"{v.get('property', '')}: {v.get('violation', '')}" for v in error.violations)
    return (f"{error} ({details})" if details else str(error))[:500]


def _request(ctx: BatchContext, messages: list[OutboundMessage]) -> dict[str, Decision]:
    """``_attempt``, each decision naming the provider that got the request (unless it never went out)."""
    decisions = _attempt(ctx, messages)
    for decision in decisions.values():
        if decision.error_code != NOT_SENT:
            decision.provider = ctx.provider.name
    return decisions


def _attempt(ctx: BatchContext, messages: list[OutboundMessage]) -> dict[str, Decision]:
    """One provider request for ``messages``, its outcome classified per message; a 400 on several is bisected."""
    started = time.monotonic()
    everyone = [message.message_id for message in messages]
    try:
        results = ctx.provider.send(ctx.channel, messages, ctx.options)
    except NotSentError as error:  # the fence's deadline passed before the request started: nothing went out
        logger.warning(
            "send %s: %d %s message(s) given back unsent: %s", ctx.send.pk, len(messages), ctx.channel, error
        )
        return {
            mid: Decision(S.PENDING, refund=True, error_code=NOT_SENT, error_text=str(error)[:500]) for mid in everyone
        }
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
            return {**_request(ctx, messages[:middle]), **_request(ctx, messages[middle:])}
        return {
            everyone[0]: Decision(
                S.FAILED, error_code=error.code or str(error.http_status or ""), error_text=_violations(error)
            )
        }
    except RetryableProviderError as error:
        _call(ctx, len(messages), ProviderCall.Outcome.RETRYABLE, started, status=error.http_status, error=str(error))
        ctx.healthy = False if ctx.healthy is None else ctx.healthy
        if error.http_status and error.http_status >= 500:
            # A 5xx may come after the provider stored the messages: look them up before resending.
            return {mid: Decision(S.SENDING, error_text=str(error)[:500]) for mid in everyone}
        return {
            mid: Decision(S.PENDING, error_text=str(error)[:500], error_code=str(error.http_status or ""))
            for mid in everyone
        }
    except AmbiguousProviderError as error:
        _call(ctx, len(messages), ProviderCall.Outcome.AMBIGUOUS, started, status=error.http_status, error=str(error))
        ctx.healthy = False if ctx.healthy is None else ctx.healthy
        return {mid: Decision(S.SENDING, error_text=str(error)[:500]) for mid in everyone}
    except Exception as error:  # an unexpected failure may also have happened after the request went out
        logger.exception("provider send failed unexpectedly (send %s, %s)", ctx.send.pk, ctx.channel)
        _call(ctx, len(messages), ProviderCall.Outcome.AMBIGUOUS, started, error=type(error).__name__)
        ctx.healthy = False if ctx.healthy is None else ctx.healthy
        return {mid: Decision(S.SENDING, error_text=type(error).__name__) for mid in everyone}
    _call(ctx, len(messages), ProviderCall.Outcome.ACCEPTED, started, status=200)
    health = _health(results)
    ctx.healthy = health if ctx.healthy is None or health else ctx.healthy
    return _decide_results(messages, results)


NOT_SENT = "LEASE"  # the error code of a message whose request never started (no provider got it)
CANCELLED = Decision(S.CANCELLED, error_text="send cancelled before this batch went out")
PAUSED = Decision(S.PENDING, refund=True, error_text="send paused before this batch went out")
PACED = Decision(S.PENDING, refund=True, error_text="given back unsent: its pace slot is later")
SHORT_LEASE = Decision(S.PENDING, refund=True, error_text="given back unsent: its lease could not outlast the request")


def batch_deliver(*, batch: PreparedBatch, provider: BaseProvider) -> dict[int, Decision]:
    """Rate-limit, check the fence, send in one request and record the outcome in one fenced UPDATE."""
    send, channel, claim, decisions = batch.send, batch.channel, batch.claim, batch.decisions
    ctx = BatchContext(provider=provider, send=send, channel=channel, options=batch.options)
    if batch.outbound:
        owed = ratelimit_wait(
            channel=channel,
            cost=len(batch.outbound),
            max_wait=settings.DISPATCH_LEASE_SECONDS / 4,
            send_id=send.pk,
            pace_per_minute=send.pace_per_minute,
        )
        # A batch may wait here (rate limit, the batch ahead of it in the pipeline, a stall) after its claim: it goes
        # out only if the send is still sending, the rows still ours and the lease long enough (fence.py).
        hold = claim_hold(claim=claim, send_id=send.pk)
        if hold.lost:
            logger.warning(
                "send %s: %d %s message(s) were taken over before they went out; not sent",
                send.pk,
                len(claim.rows),
                channel,
            )
            return {}
        if hold.send_state != Send.State.SENDING:
            return _release(batch, hold, CANCELLED if hold.send_state in (None, Send.State.CANCELLED) else PAUSED)
        if owed > 0 and send.pace_per_minute:  # its pace slot is later than the wait allowed: never sent early
            return _release(batch, hold, replace(PACED, delay=owed))
        ctx.provider, probe = provider_route(channel=channel, primary=provider)  # the secondary while it is open
        budget = request_budget(ctx.provider)
        if hold.seconds_left < budget:
            logger.warning(
                "send %s: %d %s message(s) given back unsent: the lease ends in %.1f s, a request may take %.1f s",
                send.pk,
                len(claim.rows),
                channel,
                hold.seconds_left,
                budget,
            )
            return _release(batch, hold, SHORT_LEASE)
        if is_past(hold.valid_until):  # claimed in time, but its validity ended while it waited: never sent late
            return _release(batch, hold, expired_decision())
        prefix = message_id_for(0)[:-1]
        pk_of = {f"{prefix}{row.id}": row.id for row in claim.rows}
        outbound = [message for message in batch.outbound if hold.owns(pk_of[message.message_id])]
        window = hold.seconds_left - budget
        valid_left = seconds_left(hold.valid_until)
        if valid_left is not None:
            window = min(window, valid_left)
        ctx.options = replace(
            batch.options, not_after=time.monotonic() + window, validity_minutes=provider_minutes(hold.valid_until)
        )
        by_message_id = _request(ctx, outbound) if outbound else {}
        provider_health(channel=channel, provider=ctx.provider, healthy=ctx.healthy)
        if probe and ctx.healthy is False:  # the probe's failure is the primary's, not its messages' (route.py)
            for undecided in by_message_id.values():
                undecided.refund = undecided.refund or undecided.state in (S.PENDING, S.SENDING)
        decisions.update({pk_of[mid]: decision for mid, decision in by_message_id.items() if mid in pk_of})
        if hold.owned is not None:  # rows another worker took over, or a report moved on: not ours to write
            decisions = {pk: decision for pk, decision in decisions.items() if pk in hold.owned}
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


def _release(batch: PreparedBatch, hold: Hold, outcome: Decision) -> dict[int, Decision]:
    """Give back the rows of a batch that never went out (those still ours): ``pending`` again, or ``cancelled``."""
    decisions = {row.id: replace(outcome) for row in batch.claim.rows if hold.owns(row.id)}
    messages_record(
        claim=batch.claim, decisions=decisions, rendered={}, ambiguous_grace=settings.DISPATCH_AMBIGUOUS_GRACE_SECONDS
    )
    return decisions

"""Reading sends and their messages: the one computation of a send's progress. No writes.

Counts come from grouped queries on ``Message`` that the ``(send, state, channel)`` index answers without touching the
table. Which states count as failed, in flight or final is ``Message``'s vocabulary, never a list kept here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from notifications.models import Message, Send
from notifications.services.quiet import applies_to


@dataclass
class Progress:
    """How far one send got: counts per state, per channel and state, and the shares the page shows."""

    send_id: int | None = None
    send_state: str = ""
    materialized: bool = False
    by_state: dict[str, int] = field(default_factory=dict)
    by_channel: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def skipped(self) -> int:
        return self.by_state.get(Message.State.SKIPPED, 0)

    @property
    def to_send(self) -> int:
        """Messages meant to go out: every row except those skipped before sending."""
        return self.total - self.skipped

    @property
    def delivered(self) -> int:
        return self.by_state.get(Message.State.DELIVERED, 0)

    @property
    def failed(self) -> int:
        return sum(self.by_state.get(state, 0) for state in Message.FAILURE_STATES)

    @property
    def in_flight(self) -> int:
        return sum(self.by_state.get(state, 0) for state in Message.IN_FLIGHT_STATES)

    @property
    def done(self) -> int:
        """Messages sent out and settled (delivered, failed, cancelled); skipped rows are not counted."""
        return self.to_send - self.in_flight

    @property
    def is_complete(self) -> bool:
        """Cancelled, or every message settled: a completed send still waits for the reports of accepted ones."""
        if self.send_state == Send.State.CANCELLED:
            return True
        settled = self.in_flight == 0
        return settled and (self.materialized or self.send_state == Send.State.COMPLETED)

    @property
    def done_share(self) -> float:
        if not self.to_send:
            return 1.0 if self.is_complete else 0.0
        return self.done / self.to_send

    @property
    def delivered_share(self) -> float:
        return self.delivered / self.to_send if self.to_send else 0.0

    def percent(self, state: str) -> float:
        """Width of one state's slice of the progress bar, in percent of the messages meant to go out."""
        return 100.0 * self.by_state.get(state, 0) / self.to_send if self.to_send else 0.0

    def as_dict(self) -> dict:
        return {
            "send": self.send_id,
            "send_state": self.send_state,
            "total": self.total,
            "to_send": self.to_send,
            "skipped": self.skipped,
            "delivered": self.delivered,
            "failed": self.failed,
            "in_flight": self.in_flight,
            "done": self.done,
            "done_share": round(self.done_share, 4),
            "delivered_share": round(self.delivered_share, 4),
            "complete": self.is_complete,
            "by_state": self.by_state,
            "by_channel": self.by_channel,
        }


def sends_state_counts(send_ids: list[int]) -> dict[int, dict[str, int]]:
    """Counts per state for several sends in one grouped query: {send_id: {state: n}}."""
    counts: dict[int, dict[str, int]] = {send_id: {} for send_id in send_ids}
    if not send_ids:
        return counts
    rows = Message.objects.filter(send_id__in=send_ids).values_list("send_id", "state").annotate(n=Count("id"))
    for send_id, state, n in rows.order_by():
        counts[send_id][state] = n
    return counts


def send_progress_of(send: Send | None) -> Progress:
    """One send's progress from a single query grouped by channel and state."""
    if send is None:
        return Progress()
    progress = Progress(send_id=send.pk, send_state=send.state, materialized=send.materialized_at is not None)
    by_state: Counter[str] = Counter()
    rows = Message.objects.filter(send=send).values_list("channel", "state").annotate(n=Count("id")).order_by()
    for channel, state, n in rows:
        by_state[state] += n
        progress.by_channel.setdefault(channel, {})[state] = n
    progress.by_state = dict(by_state)
    return progress


def progress_for_sends(send_rows: list[tuple[int, str, bool]]) -> dict[int, Progress]:
    """Progress for several sends at once, given (id, state, materialized) for each: one query in all."""
    counts = sends_state_counts([send_id for send_id, _, _ in send_rows])
    return {
        send_id: Progress(send_id=send_id, send_state=state, materialized=materialized, by_state=counts[send_id])
        for send_id, state, materialized in send_rows
    }


PROVIDER_LABELS = {"infobip": "Infobip", "twilio": "Twilio", "postmark": "Postmark"}


@dataclass(frozen=True)
class ProviderCount:
    """How many of a send's messages on one channel one provider carried (accepted, with any report since)."""

    channel: str
    provider: str
    label: str
    count: int


def send_provider_counts(send: Send | None) -> list[ProviderCount]:
    """Which provider carried what, per channel: one grouped query on the rows a provider accepted."""
    if send is None:
        return []
    carried = (Message.State.ACCEPTED, *Message.REPORTED_FINAL_STATES)
    rows = (
        Message.objects.filter(send=send, state__in=carried)
        .exclude(provider="")
        .values_list("channel", "provider")
        .annotate(n=Count("id"))
        .order_by("channel", "provider")
    )
    return [ProviderCount(channel, name, PROVIDER_LABELS.get(name, name), n) for channel, name, n in rows]


@dataclass(frozen=True)
class QuietWait:
    """Messages held back by quiet hours (``services/quiet.py``): how many, and when the first and last may go."""

    count: int = 0
    first: datetime | None = None
    last: datetime | None = None


def quiet_waiting(send: Send | None, now: datetime | None = None) -> QuietWait:
    """Pending rows never tried yet whose not-before time is still ahead: only quiet hours set that (a retry time
    follows an attempt, so its row has ``attempts > 0``)."""
    if send is None or not applies_to(send):  # a paced batch given back also waits untried, but not for quiet hours
        return QuietWait()
    row = Message.objects.filter(
        send=send, state=Message.State.PENDING, attempts=0, next_attempt_at__gt=now or timezone.now()
    ).aggregate(count=Count("id"), first=Min("next_attempt_at"), last=Max("next_attempt_at"))
    return QuietWait(count=row["count"], first=row["first"], last=row["last"])


@dataclass(frozen=True)
class FailoverCounts:
    """How a failover chain went (services/failover.py): who was reached on which channel, how many by failover."""

    chain: tuple[str, ...] = ()
    reached: int = 0  # clients with a delivered message on a channel of the chain
    reached_by_channel: dict[str, int] = field(default_factory=dict)
    through_failover: int = 0  # delivered messages that replaced a failed or timed-out one
    failed_over: int = 0  # messages replaced by the next channel
    wait_seconds: int = 0


def failover_counts(send: Send | None) -> FailoverCounts:
    """The chain's reach in two grouped queries; empty for a send without a chain."""
    chain = tuple(send.failover or []) if send is not None else ()
    if send is None or len(chain) < 2:
        return FailoverCounts()
    rows = Message.objects.filter(send=send, channel__in=chain)
    delivered = rows.filter(state=Message.State.DELIVERED)
    per_channel = delivered.values_list("channel").annotate(
        n=Count("pk"), via=Count("pk", filter=Q(replaces__isnull=False))
    )
    by_channel = {channel: 0 for channel in chain}
    through = 0
    for channel, n, via in per_channel.order_by():
        by_channel[channel], through = n, through + via
    return FailoverCounts(
        chain=chain,
        reached=delivered.values("client_id").distinct().count(),
        reached_by_channel=by_channel,
        through_failover=through,
        failed_over=rows.filter(replaced_by__isnull=False).exclude(replaced_by__state=Message.State.SKIPPED).count(),
        wait_seconds=send.failover_wait_seconds,
    )

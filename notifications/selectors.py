"""Reading sends and their messages: progress counts and the filtered message list. No writes."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from notifications.models import Message, Send

S = Message.State
# Done = nothing more will happen without a person: final, or accepted and waiting only for its report.
DONE_STATES = (*Message.FINAL_STATES, S.ACCEPTED)


def send_progress(send: Send) -> dict:
    """Counts per state and per channel (state counts inside), and the share of rows no longer in flight."""
    rows = Message.objects.filter(send_id=send.pk).order_by().values("channel", "state").annotate(n=Count("pk"))
    by_state: dict[str, int] = dict.fromkeys(S.values, 0)
    by_channel: dict[str, dict[str, int]] = {}
    total = 0
    for row in rows:
        total += row["n"]
        by_state[row["state"]] += row["n"]
        channel = by_channel.setdefault(row["channel"], {"total": 0})
        channel["total"] += row["n"]
        channel[row["state"]] = channel.get(row["state"], 0) + row["n"]
    done = sum(by_state[state] for state in DONE_STATES)
    return {
        "total": total,
        "by_state": by_state,
        "by_channel": by_channel,
        "done_share": (done / total) if total else 0.0,
    }


def messages_for_send(send: Send, *, search: str = "", state: str = "", channel: str = "") -> QuerySet[Message]:
    """A send's messages, optionally narrowed by state, channel and a search on address, name or message id."""
    queryset = Message.objects.filter(send_id=send.pk).select_related("client", "test_recipient")
    if state:
        queryset = queryset.filter(state=state)
    if channel:
        queryset = queryset.filter(channel=channel)
    search = (search or "").strip()
    if search:
        q = (
            Q(destination__icontains=search)
            | Q(client__name__icontains=search)
            | Q(client__external_ref__iexact=search)
            | Q(provider_message_id=search)
        )
        tail = search.rsplit("-", 1)[-1]
        if tail.isdigit() and len(tail) < 19:
            q |= Q(pk=int(tail))
        queryset = queryset.filter(q)
    return queryset.order_by("pk")


def send_counts(send: Send) -> dict[str, int]:
    """Delivered / failed / skipped / open totals, as ``notify --wait`` prints them."""
    failed = (S.FAILED, S.UNDELIVERABLE, S.EXPIRED, S.REJECTED)
    return Message.objects.filter(send_id=send.pk).aggregate(
        delivered=Count("pk", filter=Q(state=S.DELIVERED)),
        failed=Count("pk", filter=Q(state__in=failed)),
        skipped=Count("pk", filter=Q(state=S.SKIPPED)),
        cancelled=Count("pk", filter=Q(state=S.CANCELLED)),
        in_flight=Count("pk", filter=Q(state__in=(S.PENDING, S.SENDING))),
        accepted=Count("pk", filter=Q(state=S.ACCEPTED)),
        total=Count("pk"),
    )

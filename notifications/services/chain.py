"""A failover chain's rows at materialize: each client starts on the first channel of the chain it can be reached on.

Why apart from ``materialize.py``: a plain channel is one ``INSERT … SELECT`` per channel, but a chain decides per
client (the client's own preferred channel first, then the notice's order) where the client starts, so its rows
are computed here in one query and one bulk insert. Channels before the starting one get a ``skipped`` row with
their reason (counts and exclusion reasons stay as for any channel); later ones get no row until a failover needs
them (``services/failover.py``).
"""

from __future__ import annotations

from typing import Any

from clients.channels import reach_of
from clients.selectors import audience_queryset, exclusion_reason
from notifications.models import Message, Send

S = Message.State


def chain_of(send: Send) -> list[str]:
    """The send's failover chain, only channels it has; fewer than two channels is no chain."""
    chain = [channel for channel in dict.fromkeys(send.failover or []) if channel in (send.channels or [])]
    return chain if len(chain) >= 2 and not send.is_test else []


def client_order(chain: list[str], preferred: str) -> list[str]:
    """The chain in the order one client is tried: their preferred channel first when it is in the chain."""
    return [preferred, *(c for c in chain if c != preferred)] if preferred in chain else list(chain)


def row_language(send: Send, channel: str, language: str) -> str:
    """The client's language when the send has content for it on ``channel``, else the send's fallback."""
    part = (send.content or {}).get(language)
    return language if isinstance(part, dict) and channel in part else send.fallback_language


def new_row(send: Send, client_id: int, channel: str, address: str, language: str, reason: str) -> Message:
    """A chain row: ``pending`` to ``address``, or ``skipped`` with ``reason``."""
    return Message(
        send_id=send.pk,
        client_id=client_id,
        channel=channel,
        state=S.SKIPPED if reason else S.PENDING,
        skip_reason=reason,
        destination=address or "",
        language=row_language(send, channel, language),
    )


def reasons_query(send: Send, chain: list[str], queryset: Any) -> Any:
    """``queryset`` of clients with, per channel of the chain, its exclusion reason and address."""
    fields = {f"r_{channel}": reason_expression(send, channel) for channel in chain}
    # The address as materialize writes it: the field, or for push the client's id while a device is live.
    fields |= {f"a_{channel}": reach_of(channel).address() for channel in chain}
    return queryset.order_by().annotate(**fields).values("pk", "language", "preferred_channel", *fields)


def reason_expression(send: Send, channel: str) -> Any:
    return exclusion_reason(channel, notice_kind=send.notice_kind, mandatory=send.mandatory, cap_before=send.created_at)


def chain_materialize(send: Send, *, after: int = 0, through: int | None = None) -> int:
    """Create the chain's first rows for the audience's clients with ids in (``after``, ``through``], one chunk of
    materialize (idempotent: clients with rows are left)."""
    chain = chain_of(send)
    if not chain:
        return 0
    clients = audience_queryset(send.audience).filter(pk__gt=after)
    if through is not None:
        clients = clients.filter(pk__lte=through)
    written = Message.objects.filter(send=send, channel__in=chain, client_id__gt=after)
    if through is not None:
        written = written.filter(client_id__lte=through)
    done = set(written.values_list("client_id", flat=True))
    rows: list[Message] = []
    for client in reasons_query(send, chain, clients).iterator(chunk_size=5000):
        if client["pk"] in done:
            continue
        for channel in client_order(chain, client["preferred_channel"]):
            reason = client[f"r_{channel}"]
            address = client[f"a_{channel}"]
            rows.append(new_row(send, client["pk"], channel, address, client["language"], reason))
            if not reason:
                break
    Message.objects.bulk_create(rows, batch_size=2000)
    return len(rows)

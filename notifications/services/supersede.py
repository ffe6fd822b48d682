"""Superseding: when a later notice about the same incident starts, the earlier one's unsent messages to the same
people on the same channels are not sent: they become ``superseded`` (final).

Why: a client who has not yet been sent "SMS is down" should not get it after (or just before) "resolved"; the
latest notice says what matters. Only ``pending`` rows change: a row a worker already claimed (``sending``) is on
its way and is left alone, and the conditional UPDATE waits for a claim statement holding a row, then re-checks its
state, so nothing is both superseded and sent.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from clients.models import Client
from notifications.models import Message

S = Message.State
SUPERSEDED_TEXT = "not sent: a later notice about the same incident replaced it"


def pending_superseded(*, send_ids: list[int], channels: list[str], clients: QuerySet[Client]) -> QuerySet[Message]:
    """The rows a later notice to ``clients`` on ``channels`` would supersede among ``send_ids``."""
    return Message.objects.filter(
        send_id__in=send_ids, channel__in=channels, state=S.PENDING, client__in=clients.values("pk")
    )


def messages_supersede(*, send_ids: list[int], channels: list[str], clients: QuerySet[Client]) -> int:
    """Mark those rows ``superseded`` in one UPDATE; returns how many."""
    if not send_ids or not channels:
        return 0
    now = timezone.now()
    fields: dict[str, Any] = {
        "state": S.SUPERSEDED,
        "error_text": SUPERSEDED_TEXT,
        "next_attempt_at": None,
        "done_at": now,
        "updated_at": now,
    }
    return pending_superseded(send_ids=send_ids, channels=channels, clients=clients).update(**fields)

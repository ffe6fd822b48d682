"""How far a notice's sends got: progress per send (main, reminders, tests), the delivery timeline, and the live
state and progress of many notices at once for lists. Counts come from ``notifications.selectors`` (the one
progress computation), from grouped queries the ``(send, state, channel)`` index answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count
from django.db.models.functions import Trunc
from django.utils import timezone

from campaigns.models import Campaign, CampaignSend, Incident
from campaigns.selectors.public import campaigns_link_opens
from campaigns.selectors.state import (
    ACTIVE_SEND_STATES,
    campaign_main_send,
    campaign_sends,
    campaign_state,
    with_main_send,
)
from notifications.models import Message, Send
from notifications.selectors import Progress, progress_for_sends, send_progress_of


def campaign_progress(campaign: Campaign) -> Progress:
    """Progress of the notice's main send; test sends and reminders never count in it."""
    return send_progress_of(campaign_main_send(campaign))


@dataclass
class SendRow:
    """One send of a notice as its page lists it, with its own progress and what can be done to it."""

    role: str
    send: Send
    progress: Progress
    number: int = 0  # reminders: 1, 2, ...

    @property
    def can_pause(self) -> bool:
        return self.send.state in ACTIVE_SEND_STATES

    @property
    def can_resume(self) -> bool:
        return self.send.state == Send.State.PAUSED

    @property
    def can_cancel(self) -> bool:
        return self.send.state not in (Send.State.COMPLETED, Send.State.CANCELLED)


def notice_send_rows(campaign: Campaign, *, roles: tuple[str, ...] = ()) -> list[SendRow]:
    """The notice's sends (main then reminders, or ``roles``), each with its progress: two queries in all."""
    pairs = campaign_sends(campaign, roles=roles)
    progress = progress_for_sends([(send.pk, send.state, send.materialized_at is not None) for _, send in pairs])
    rows, reminders = [], 0
    for role, send in pairs:
        reminders += role == CampaignSend.Role.REMINDER
        number = reminders if role == CampaignSend.Role.REMINDER else 0
        rows.append(SendRow(role=role, send=send, progress=progress[send.pk], number=number))
    return rows


def _granularity(start: datetime, end: datetime) -> str:
    span = end - start
    if span <= timedelta(minutes=10):
        return "second"
    if span <= timedelta(hours=12):
        return "minute"
    return "hour"


def send_timeline(send: Send | None, *, now: datetime | None = None) -> dict[str, Any]:
    """Cumulative messages accepted and delivered over time, bucketed in SQL (per second, minute or hour).

    The bucket size follows the send's own span (started → completed, or now), so no extra query is needed to
    find it. Returns ``{"unit": "second", "labels": [iso, ...], "accepted": [n, ...], "delivered": [n, ...]}``.
    """
    empty: dict[str, Any] = {"unit": "second", "labels": [], "accepted": [], "delivered": []}
    if send is None:
        return empty
    start = send.started_at or send.materialized_at or send.created_at
    unit = _granularity(start, send.completed_at or now or timezone.now())
    messages = Message.objects.filter(send=send).order_by()
    accepted = dict(
        messages.filter(accepted_at__isnull=False)
        .annotate(bucket=Trunc("accepted_at", unit))
        .values("bucket")
        .annotate(n=Count("id"))
        .values_list("bucket", "n")
    )
    delivered = dict(
        messages.filter(state=Message.State.DELIVERED, done_at__isnull=False)
        .annotate(bucket=Trunc("done_at", unit))
        .values("bucket")
        .annotate(n=Count("id"))
        .values_list("bucket", "n")
    )
    labels, accepted_series, delivered_series = [], [], []
    total_accepted = total_delivered = 0
    for bucket in sorted(set(accepted) | set(delivered)):
        total_accepted += accepted.get(bucket, 0)
        total_delivered += delivered.get(bucket, 0)
        labels.append(bucket.isoformat())
        accepted_series.append(total_accepted)
        delivered_series.append(total_delivered)
    return {"unit": unit, "labels": labels, "accepted": accepted_series, "delivered": delivered_series}


def attach_live_state(campaigns: Sequence[Campaign]) -> None:
    """Set ``live_state`` and ``progress`` on campaigns annotated by ``with_main_send``, with one grouped query."""
    rows = [
        (c.main_send_id, c.main_send_state, c.main_send_materialized is not None)  # type: ignore[attr-defined]
        for c in campaigns
        if c.main_send_id  # type: ignore[attr-defined]
    ]
    progress = progress_for_sends(rows)
    for campaign in campaigns:
        send_id = campaign.main_send_id  # type: ignore[attr-defined]
        campaign.live_state = campaign_state(campaign, campaign.main_send_state or "")  # type: ignore[attr-defined]
        campaign.progress = progress.get(send_id, Progress())  # type: ignore[attr-defined]


def incident_thread(incident: Incident) -> list[Campaign]:
    """The notices of one incident, oldest first, each with its live state, progress and the opens of its short
    links (five queries)."""
    campaigns = list(
        with_main_send(Campaign.objects.filter(incident=incident))
        .select_related("created_by", "parent")
        .prefetch_related("events__actor")
        .order_by("created_at", "id")
    )
    attach_live_state(campaigns)
    opens = campaigns_link_opens(campaigns)
    for campaign in campaigns:
        campaign.link_opens = opens.get(campaign.pk, [])  # type: ignore[attr-defined]
    return campaigns

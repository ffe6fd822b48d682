"""The home page: notices awaiting approval (who asked, for how many), recent emergency sends with their reasons,
open incidents (those with a notice that went out: a draft's incident is not open), drafts, notices sending or
paused, scheduled notices, and how well the last ones were delivered."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import Campaign, Incident
from campaigns.selectors.audit import latest_event_subquery
from campaigns.selectors.progress import attach_live_state
from campaigns.selectors.state import campaign_list_queryset, main_send_subquery, state_filter
from campaigns.services.audit import Action

EMERGENCY_DAYS = 7
DRAFTS_SHOWN = 5
UNSENT = (Campaign.State.DRAFT, Campaign.State.DISCARDED)


def awaiting_approval(limit: int = 20) -> list[Campaign]:
    """Notices waiting for a second person, oldest request first, with who asked, why and when."""
    return list(
        Campaign.objects.filter(state=Campaign.State.AWAITING_APPROVAL)
        .select_related("incident", "sent_by", "created_by")
        .annotate(
            asked_by=latest_event_subquery(Action.APPROVAL_REQUESTED, "actor__username"),
            asked_why=latest_event_subquery(Action.APPROVAL_REQUESTED, "detail"),
            asked_at=latest_event_subquery(Action.APPROVAL_REQUESTED, "at"),
        )
        .order_by("asked_at", "pk")[:limit]
    )


def recent_emergencies(days: int = EMERGENCY_DAYS, limit: int = 10) -> list[Campaign]:
    """Notices sent without approval in an emergency in the last ``days`` days, newest first."""
    since = timezone.now() - timedelta(days=days)
    return list(
        Campaign.objects.filter(emergency_at__gte=since)
        .select_related("emergency_by")
        .order_by("-emergency_at", "-pk")[:limit]
    )


def dashboard_data(*, recent: int = 10) -> dict[str, Any]:
    """Everything the home page shows, in a fixed number of queries."""
    annotated = campaign_list_queryset().annotate(
        main_send_scheduled_at=main_send_subquery("scheduled_at"),
        main_send_completed_at=main_send_subquery("completed_at"),
    )
    active = list(annotated.filter(state_filter(Campaign.State.SENDING) | state_filter(Campaign.State.PAUSED))[:20])
    scheduled = list(
        annotated.filter(state_filter(Campaign.State.SCHEDULED)).order_by(
            Coalesce("main_send_scheduled_at", "send_at").asc(nulls_last=True)
        )[:20]
    )
    finished = list(
        annotated.filter(state_filter(Campaign.State.COMPLETED)).order_by(
            Coalesce("main_send_completed_at", "sent_at", "created_at").desc()
        )[:recent]
    )
    attach_live_state(active + scheduled + finished)
    incidents = list(
        Incident.objects.filter(status=Incident.Status.OPEN)
        .annotate(
            notices=Count("campaigns", filter=~Q(campaigns__state__in=UNSENT)),
            last_notice_at=Max("campaigns__created_at"),
        )
        .order_by("-started_at")[:20]
    )
    drafts = Campaign.objects.filter(state=Campaign.State.DRAFT)
    delivered = sum(c.progress.delivered for c in finished)  # type: ignore[attr-defined]
    to_send = sum(c.progress.to_send for c in finished)  # type: ignore[attr-defined]
    waiting = awaiting_approval()
    return {
        "awaiting": waiting,
        "emergencies": recent_emergencies(),
        "incidents": incidents,
        "active": active,
        "scheduled": scheduled,
        "finished": finished,
        "drafts": list(drafts.select_related("created_by", "incident").order_by("-updated_at", "-pk")[:DRAFTS_SHOWN]),
        "delivery_rate": delivered / to_send if to_send else None,
        "counts": {
            "open_incidents": len(incidents),
            "active": len(active),
            "scheduled": len(scheduled),
            "awaiting": len(waiting),
            "drafts": drafts.count(),
        },
    }

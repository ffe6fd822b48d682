"""Reads for the public side: the incidents a visitor may see, their updates, and short links and their clicks.

Only published incidents with a public page are ever returned, and only their public fields are read; nothing here
touches sends or messages (the public pages must stay fast whatever is being sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from campaigns.models import Campaign, Incident, PublicUpdate, ShortLink
from campaigns.models.public import FINAL_PUBLIC_STATES
from campaigns.services.clicks import clicks_pending

HISTORY_DAYS = 30
PUBLIC_FIELDS = (
    "id",
    "title",
    "kind",
    "services",
    "regions",
    "started_at",
    "expected_resolution_at",
    "resolved_at",
    "public_id",
    "public_state",
    "published_at",
    "severity",
    "status",
)


def published() -> QuerySet[Incident]:
    """Incidents a visitor may see, with their public fields only and their updates in order."""
    updates = PublicUpdate.objects.only("incident_id", "state", "texts", "published_at").order_by("published_at", "id")
    return (
        Incident.objects.filter(is_public=True, published_at__isnull=False, public_id__isnull=False)
        .only(*PUBLIC_FIELDS)
        .prefetch_related(Prefetch("public_updates", queryset=updates))
    )


@dataclass(frozen=True)
class StatusPageIncidents:
    current: list[Incident]
    maintenance: list[Incident]
    history: list[Incident]


def status_page_incidents(now: datetime | None = None) -> StatusPageIncidents:
    """What the status page lists: open incidents, maintenance not finished, and the last 30 days' history."""
    now = now or timezone.now()
    since = now - timedelta(days=HISTORY_DAYS)
    rows = list(
        published()
        .filter(Q(status=Incident.Status.OPEN) | Q(resolved_at__gte=since) | Q(started_at__gte=since))
        .exclude(public_state__in=FINAL_PUBLIC_STATES, resolved_at__lt=since)
        .order_by("-started_at", "-id")[:200]
    )
    finished = set(FINAL_PUBLIC_STATES)
    current, maintenance, history = [], [], []
    for incident in rows:
        ended = incident.public_state in finished or incident.status == Incident.Status.RESOLVED
        window_over = (
            incident.kind == "maintenance"
            and incident.expected_resolution_at is not None
            and incident.expected_resolution_at <= now
        )
        if ended or window_over:
            end = incident.resolved_at or incident.expected_resolution_at or incident.started_at
            if end >= since:  # the last 30 days only, whatever the state
                history.append(incident)
        elif incident.kind == "maintenance":
            maintenance.append(incident)
        else:
            current.append(incident)
    return StatusPageIncidents(current=current, maintenance=maintenance, history=history)


def public_incident(public_id: str) -> Incident | None:
    return published().filter(public_id=public_id).first()


@dataclass(frozen=True)
class LinkTarget:
    link_id: int
    public_id: str | None  # None: the incident has no public page (not yet, or not any more)
    language: str


def link_target(code: str) -> LinkTarget | None:
    """Where a short link leads, or None for a code that does not exist."""
    row = (
        ShortLink.objects.filter(code=code)
        .values("id", "language", "incident__public_id", "incident__is_public", "incident__published_at")
        .first()
    )
    if row is None:
        return None
    visible = row["incident__is_public"] and row["incident__published_at"] is not None
    return LinkTarget(
        link_id=row["id"], public_id=row["incident__public_id"] if visible else None, language=row["language"]
    )


CHANNEL_LABELS = {"sms": "SMS", "email": "Email"}


@dataclass(frozen=True)
class LinkOpens:
    """How often one channel's ``{{ incident_link }}`` of a notice was opened (never by whom)."""

    channel: str
    label: str
    opens: int


def campaigns_link_opens(campaigns: list[Campaign]) -> dict[int, list[LinkOpens]]:
    """Opens of the public page through each notice's short links, per channel (test sends apart), for the staff
    pages; live, with the clicks still in the cache. Notices whose messages carried no link are left out."""
    links = list(
        ShortLink.objects.filter(campaign__in=[c.pk for c in campaigns], is_test=False)
        .values_list("id", "campaign_id", "channel", "clicks")
        .order_by("campaign_id", "channel")
    )
    pending = clicks_pending(link_id for link_id, _campaign, _channel, _clicks in links)
    counts: dict[int, dict[str, int]] = {}
    for link_id, campaign_id, channel, clicks in links:
        per_channel = counts.setdefault(campaign_id, {})
        per_channel[channel] = per_channel.get(channel, 0) + clicks + pending.get(link_id, 0)
    return {
        campaign_id: [LinkOpens(channel, CHANNEL_LABELS.get(channel, channel), n) for channel, n in per_channel.items()]
        for campaign_id, per_channel in counts.items()
    }


def campaign_clicks(campaign: Campaign) -> dict[str, int]:
    """Clicks on a notice's short links per channel (its test sends' links apart), those still in the cache too."""
    links = list(ShortLink.objects.filter(campaign=campaign, is_test=False).values_list("id", "channel", "clicks"))
    pending = clicks_pending(link_id for link_id, _channel, _clicks in links)
    counts: dict[str, int] = {}
    for link_id, channel, clicks in links:
        counts[channel] = counts.get(channel, 0) + clicks + pending.get(link_id, 0)
    return counts

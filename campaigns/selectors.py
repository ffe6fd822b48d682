"""Reads about notices: their live state and progress, always derived from their sends' message rows.

A campaign never stores how far its send got: nothing below pushes state up (no signal, no import from
``notifications`` into ``campaigns``). The state shown is the campaign's own (draft, awaiting approval, failed) until
a main send exists, then the send's; counts come from grouped queries on ``Message`` that the
``(send, state, channel)`` index answers without touching the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone

from campaigns.models import Campaign, CampaignEvent, CampaignSend, Incident
from clients.models import Client
from notifications.models import Message, Send
from notifications.selectors import Progress, progress_for_sends, send_progress_of

# A send's state → the state its campaign shows.
STATE_FROM_SEND = {
    Send.State.SCHEDULED: Campaign.State.SCHEDULED,
    Send.State.QUEUED: Campaign.State.SENDING,
    Send.State.SENDING: Campaign.State.SENDING,
    Send.State.PAUSED: Campaign.State.PAUSED,
    Send.State.COMPLETED: Campaign.State.COMPLETED,
    Send.State.CANCELLED: Campaign.State.CANCELLED,
}
# Campaign states that the campaign row decides even when a send exists.
OWN_STATES = (Campaign.State.FAILED,)

SEARCH_CLIENTS_INLINE = 2000
# "#12" or "12" in the search box also finds notice 12 and the notices of incident 12 (ASCII digits only).
NOTICE_NUMBER = re.compile(r"#?([0-9]{1,18})")

PAUSABLE = (Campaign.State.SENDING,)
RESUMABLE = (Campaign.State.PAUSED,)
CANCELLABLE = (
    Campaign.State.DRAFT,
    Campaign.State.AWAITING_APPROVAL,
    Campaign.State.SCHEDULED,
    Campaign.State.SENDING,
    Campaign.State.PAUSED,
)
FOLLOW_UP_FROM = (Campaign.State.SENDING, Campaign.State.PAUSED, Campaign.State.COMPLETED)


def _main_send_subquery(column: str) -> Subquery:
    links = CampaignSend.objects.filter(campaign=OuterRef("pk"), role=CampaignSend.Role.MAIN).order_by("-id")
    return Subquery(links.values(f"send__{column}")[:1])


def campaign_list_queryset(*, state: str = "", kind: str = "", search: str = "") -> QuerySet[Campaign]:
    """Every notice, newest first, with its main send and live state annotated; filtered and searched."""
    campaigns = (
        Campaign.objects.select_related("incident", "created_by", "sent_by")
        .annotate(
            main_send_id=_main_send_subquery("id"),
            main_send_state=_main_send_subquery("state"),
            main_send_materialized=_main_send_subquery("materialized_at"),
        )
        .order_by("-created_at", "-id")
    )
    if kind:
        campaigns = campaigns.filter(kind=kind)
    if search:
        query = Q(title__icontains=search) | Q(incident__title__icontains=search)
        number = NOTICE_NUMBER.fullmatch(search)
        if number:
            query |= Q(pk=int(number[1])) | Q(incident_id=int(number[1]))
        campaigns = campaigns.filter(query)
    if state:
        campaigns = campaigns.filter(_state_filter(state))
    return campaigns


def _state_filter(state: str) -> Q:
    """The SQL condition for 'shows state X': own state without a send (or an own state), else the send's."""
    send_states = [send_state for send_state, shown in STATE_FROM_SEND.items() if shown == state]
    own = Q(main_send_state__isnull=True, state=state)
    if state in OWN_STATES:
        return Q(state=state)
    return own | (Q(main_send_state__in=send_states) & ~Q(state__in=OWN_STATES))


def campaign_state(campaign: Campaign, send_state: str | None = None) -> str:
    """The state a notice shows; pass ``send_state`` when already annotated to save a query."""
    if campaign.state in OWN_STATES:
        return campaign.state
    if send_state is None:
        send = campaign_main_send(campaign)
        send_state = send.state if send else None
    return STATE_FROM_SEND.get(send_state, campaign.state) if send_state else campaign.state


def campaign_main_send(campaign: Campaign) -> Send | None:
    link = (
        CampaignSend.objects.select_related("send")
        .filter(campaign=campaign, role=CampaignSend.Role.MAIN)
        .order_by("-id")
        .first()
    )
    return link.send if link else None


def campaign_test_sends(campaign: Campaign) -> list[Send]:
    return [
        link.send
        for link in CampaignSend.objects.select_related("send")
        .filter(campaign=campaign, role=CampaignSend.Role.TEST)
        .order_by("id")
    ]


def campaign_progress(campaign: Campaign) -> Progress:
    """Progress of the notice's main send; test sends never count."""
    return send_progress_of(campaign_main_send(campaign))


def _granularity(start: datetime, end: datetime) -> str:
    span = end - start
    if span <= timedelta(minutes=10):
        return "second"
    if span <= timedelta(hours=12):
        return "minute"
    return "hour"


def send_timeline(send: Send | None, *, now: datetime | None = None) -> dict:
    """Cumulative messages accepted and delivered over time, bucketed in SQL (per second, minute or hour).

    The bucket size follows the send's own span (started → completed, or now), so no extra query is needed to
    find it. Returns ``{"unit": "second", "labels": [iso, ...], "accepted": [n, ...], "delivered": [n, ...]}``.
    """
    empty = {"unit": "second", "labels": [], "accepted": [], "delivered": []}
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


def campaign_messages(send: Send, *, search: str = "", state: str = "", channel: str = "") -> QuerySet[Message]:
    """A send's messages with their client, filtered; ordered by id for keyset pagination.

    ``search`` matches the client's name or account (part of it), or exactly its reference, email or phone.
    """
    messages = Message.objects.filter(send=send).select_related("client").order_by("id")
    if state == "failures":
        messages = messages.filter(state__in=Message.FAILURE_STATES)
    elif state:
        messages = messages.filter(state=state)
    if channel:
        messages = messages.filter(channel=channel)
    search = search.strip()
    if search:
        # Clients are matched first (one pass over clients), then their messages through the client index. As a
        # subquery, PostgreSQL would instead walk every message of the send and probe clients one by one. A broad
        # search (thousands of clients) keeps the subquery: matches are then frequent and a page fills quickly.
        clients = Client.objects.filter(
            Q(name__icontains=search)
            | Q(account__icontains=search)
            | Q(external_ref__iexact=search)
            | Q(email__iexact=search)
            | Q(phone=search.replace(" ", ""))
        ).values_list("id", flat=True)
        client_ids = list(clients[: SEARCH_CLIENTS_INLINE + 1])
        messages = messages.filter(client_id__in=client_ids if len(client_ids) <= SEARCH_CLIENTS_INLINE else clients)
    return messages


def retry_states(include: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """The failure states a retry moves: failed and expired always, rejected/undeliverable only when included."""
    return tuple(Message.RETRY_DEFAULT_STATES) + tuple(s for s in Message.RETRY_OPTIONAL_STATES if s in include)


def retry_candidates(send: Send | None, include: tuple[str, ...] | list[str] = ()) -> int:
    """How many messages a retry with these options would queue again."""
    if send is None:
        return 0
    return Message.objects.filter(send=send, state__in=retry_states(include)).count()


@dataclass
class FailureGroup:
    state: str
    reason: str
    code: str
    count: int
    example: str
    retry_by_default: bool


def send_failure_groups(send: Send | None) -> list[FailureGroup]:
    """Undelivered and failed messages grouped by state and provider reason, largest groups first."""
    if send is None:
        return []
    rows = (
        Message.objects.filter(send=send, state__in=Message.FAILURE_STATES)
        .values("state", "status_name", "error_code")
        .annotate(n=Count("id"), example=Max("error_text"))
        .order_by("-n", "state", "status_name", "error_code")
    )
    return [
        FailureGroup(
            state=row["state"],
            reason=row["status_name"] or row["error_code"] or row["state"],
            code=row["error_code"],
            count=row["n"],
            example=row["example"] or "",
            retry_by_default=row["state"] in Message.RETRY_DEFAULT_STATES,
        )
        for row in rows
    ]


def send_skip_counts(send: Send | None) -> dict[str, int]:
    """Why rows were never sent: {skip_reason: n}."""
    if send is None:
        return {}
    rows = (
        Message.objects.filter(send=send, state=Message.State.SKIPPED)
        .values_list("skip_reason")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return dict(rows)


def campaign_recipient_client_ids(campaign: Campaign) -> list[int]:
    """Clients who had a message in the notice's main send (neither skipped nor cancelled), sorted."""
    send = campaign_main_send(campaign)
    if send is None:
        return []
    ids = (
        Message.objects.filter(send=send, client__isnull=False)
        .exclude(state__in=(Message.State.SKIPPED, Message.State.CANCELLED))
        .values_list("client_id", flat=True)
        .distinct()
        .order_by("client_id")
    )
    return list(ids)


def campaign_events(campaign: Campaign) -> QuerySet[CampaignEvent]:
    return campaign.events.select_related("actor").order_by("at", "id")


def incident_thread(incident: Incident) -> list[Campaign]:
    """The notices of one incident, oldest first, each with its live state and progress (three queries)."""
    campaigns = list(
        Campaign.objects.filter(incident=incident)
        .select_related("created_by", "parent")
        .annotate(
            main_send_id=_main_send_subquery("id"),
            main_send_state=_main_send_subquery("state"),
            main_send_materialized=_main_send_subquery("materialized_at"),
        )
        .prefetch_related("events__actor")
        .order_by("created_at", "id")
    )
    attach_live_state(campaigns)
    return campaigns


def attach_live_state(campaigns: list[Campaign]) -> None:
    """Set ``live_state`` and ``progress`` on annotated campaigns with one grouped query for all of them."""
    rows = [
        (c.main_send_id, c.main_send_state, c.main_send_materialized is not None) for c in campaigns if c.main_send_id
    ]
    progress = progress_for_sends(rows)
    for campaign in campaigns:
        campaign.live_state = campaign_state(campaign, campaign.main_send_state or "")
        campaign.progress = progress.get(campaign.main_send_id, Progress())


def dashboard_data(*, recent: int = 10) -> dict:
    """The home page: open incidents, notices sending or paused, scheduled notices, delivery of the last ones."""
    annotated = campaign_list_queryset().annotate(
        main_send_scheduled_at=_main_send_subquery("scheduled_at"),
        main_send_completed_at=_main_send_subquery("completed_at"),
    )
    active = list(annotated.filter(_state_filter(Campaign.State.SENDING) | _state_filter(Campaign.State.PAUSED))[:20])
    scheduled = list(
        annotated.filter(_state_filter(Campaign.State.SCHEDULED)).order_by(
            Coalesce("main_send_scheduled_at", "send_at").asc(nulls_last=True)
        )[:20]
    )
    finished = list(
        annotated.filter(_state_filter(Campaign.State.COMPLETED)).order_by(
            Coalesce("main_send_completed_at", "sent_at", "created_at").desc()
        )[:recent]
    )
    attach_live_state(active + scheduled + finished)
    incidents = list(
        Incident.objects.filter(status=Incident.Status.OPEN)
        .annotate(notices=Count("campaigns"), last_notice_at=Max("campaigns__created_at"))
        .order_by("-started_at")[:20]
    )
    delivered = sum(c.progress.delivered for c in finished)
    to_send = sum(c.progress.to_send for c in finished)
    return {
        "incidents": incidents,
        "active": active,
        "scheduled": scheduled,
        "finished": finished,
        "delivery_rate": delivered / to_send if to_send else None,
        "counts": {
            "open_incidents": len(incidents),
            "active": len(active),
            "scheduled": len(scheduled),
            "drafts": Campaign.objects.filter(state=Campaign.State.DRAFT).count(),
        },
    }

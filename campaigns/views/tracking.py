"""The notices list, a notice's page with live progress (its main send, each reminder, its tests), and the
progress endpoint it polls. Views parse the request, call selectors and render; reading needs
``campaigns.view_campaign``. The actions are in actions.py and approval.py.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone

from campaigns.models import Campaign, IncidentKind
from campaigns.selectors.audit import approval_request, campaign_events, standing_decline
from campaigns.selectors.messages import retry_candidates, send_sent_texts
from campaigns.selectors.pace import pace_rows
from campaigns.selectors.preview import latest_test_summary
from campaigns.selectors.progress import attach_live_state, notice_send_rows, send_timeline
from campaigns.selectors.public import campaigns_link_opens
from campaigns.selectors.replies import notice_replies
from campaigns.selectors.state import (
    FOLLOW_UP_FROM,
    campaign_list_queryset,
    campaign_main_send,
    campaign_state,
    notice_actions,
)
from campaigns.services import rules
from campaigns.views.common import notice_url, staff_view
from campaigns.views.maintenance import maintenance_context
from campaigns.views.params import text_param
from notifications.models import Message, Send
from notifications.selectors import failover_counts, quiet_waiting, send_progress_of, send_provider_counts

LIST_PAGE_SIZE = 25
BAR_STATES = (
    Message.State.DELIVERED,
    Message.State.ACCEPTED,
    Message.State.UNDELIVERABLE,
    Message.State.REJECTED,
    Message.State.EXPIRED,
    Message.State.FAILED,
    Message.State.CANCELLED,
    Message.State.SUPERSEDED,
)


@staff_view()
def campaign_list(request: HttpRequest) -> HttpResponse:
    state, kind, search = (text_param(request.GET, key) for key in ("state", "kind", "q"))
    campaigns = campaign_list_queryset(state=state, kind=kind, search=search)
    page = Paginator(campaigns, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    attach_live_state(rows)
    for campaign in rows:
        campaign.url = notice_url(campaign, campaign.live_state)  # type: ignore[attr-defined]
    return render(
        request,
        "campaigns/list.html",
        {
            "page": page,
            "campaigns": rows,
            "states": Campaign.State.choices,
            "kinds": IncidentKind.choices,
            "sources": Campaign.Source.choices,
            "filters": {"state": state, "kind": kind, "q": search},
        },
    )


def page_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    """What the notice's header needs: its main send, the state it shows, and the buttons this person gets."""
    send = campaign_main_send(campaign)
    state = campaign_state(campaign, send.state if send else None)
    can_send = rules.may(request.user, rules.SEND)
    actions = notice_actions(campaign)
    return {
        "campaign": campaign,
        "send": send,
        "state": state,
        "can_send": can_send,
        "can_pause": can_send and actions.pause,
        "can_resume": can_send and actions.resume,
        "can_cancel": can_send and actions.cancel,
        "can_reopen": can_send and actions.reopen and not rules.edit_problem(campaign, request.user),
        "can_follow_up": rules.may(request.user, rules.ADD) and state in FOLLOW_UP_FROM,
        "can_duplicate": rules.may(request.user, rules.ADD) and state != Campaign.State.DRAFT,
        # Shown only when there is something to retry, with how many.
        "retry_count": retry_candidates(send) if can_send and state != Campaign.State.CANCELLED else 0,
    }


def progress_context(campaign: Campaign, send: Send | None, state: str) -> dict[str, Any]:
    progress = send_progress_of(send)
    channels = sorted(progress.by_channel)
    return {
        "campaign": campaign,
        "progress": progress,
        "bar": [(s, progress.percent(s), progress.by_state.get(s, 0)) for s in BAR_STATES],
        "channels": channels,
        "state_table": [
            (s, label, [progress.by_channel[c].get(s, 0) for c in channels], progress.by_state.get(s, 0))
            for s, label in Message.State.choices
        ],
        "state": state,
        "quiet": quiet_waiting(send),
        "providers": send_provider_counts(send),
        "pace_rows": pace_rows(send, progress, timezone.now()),
        "failover": failover_counts(send),
        # Keep polling until the send itself is settled, so the page learns when its state changes.
        "poll": send is not None
        and send.state != "scheduled"
        and (not progress.is_complete or send.state in ("queued", "sending")),
    }


@staff_view()
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(
        Campaign.objects.select_related("incident", "created_by", "approved_by", "sent_by", "parent", "emergency_by"),
        pk=pk,
    )
    context = page_context(request, campaign)
    context.update(progress_context(campaign, context["send"], context["state"]))
    context.update(maintenance_context(request, campaign))
    waiting = approval_request(campaign)
    context.update(
        {
            "send_rows": notice_send_rows(campaign),
            "sent_texts": send_sent_texts(context["send"]),
            "test_rows": notice_send_rows(campaign, roles=("test",)),
            "test_summary": latest_test_summary(campaign),
            "events": campaign_events(campaign),
            "link_opens": campaigns_link_opens([campaign]).get(campaign.pk, []),
            "replies": notice_replies(campaign, request.user),
            "approval_request": waiting,
            "decline": standing_decline(campaign),
            "approval_problem": rules.approval_problem(campaign, request.user)
            if waiting and rules.may(request.user, rules.APPROVE)
            else "",
            "can_emergency": waiting is not None and rules.may(request.user, rules.EMERGENCY),
            "approve_link": waiting is not None
            and rules.may(request.user, rules.APPROVE)
            and not rules.approval_problem(campaign, request.user),
            "thread": Campaign.objects.filter(incident=campaign.incident)
            .only("pk", "title", "kind", "created_at")
            .order_by("created_at", "id"),
        }
    )
    return render(request, "campaigns/detail.html", context)


@staff_view()
def campaign_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled while sending: the progress partial for htmx; JSON (with the chart's series) for scripts."""
    campaign = get_object_or_404(Campaign, pk=pk)
    send = campaign_main_send(campaign)
    state = campaign_state(campaign, send.state if send else None)
    context = progress_context(campaign, send, state)
    if request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", ""):
        timeline = send_timeline(send) if request.GET.get("timeline") != "0" else None
        return JsonResponse({"state": state, **context["progress"].as_dict(), "timeline": timeline})
    shown = text_param(request.GET, "shown")
    if request.headers.get("HX-Request") and shown and shown != state:
        # The notice changed state (completed, paused elsewhere…): reload once so header and buttons follow.
        return HttpResponse(headers={"HX-Refresh": "true"})
    return render(request, "campaigns/partials/progress.html", context)


urlpatterns = [
    path("", campaign_list, name="list"),
    path("<int:pk>/", campaign_detail, name="detail"),
    path("<int:pk>/progress/", campaign_progress, name="progress"),
]

"""Campaign list, campaign page with live progress, recipients, failures, follow-ups and the incident timeline.

Views parse the request, call one selector or service and render. Reading needs ``campaigns.view_campaign``;
every action is a POST that needs ``campaigns.send_campaign`` (follow-ups: ``campaigns.add_campaign``).
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns import selectors
from campaigns.models import Campaign, Incident, IncidentKind
from campaigns.services import lifecycle
from campaigns.views import exports
from campaigns.views.exports import masked
from campaigns.views.params import id_param, text_param
from notifications.models import Message

VIEW_PERM = "campaigns.view_campaign"
SEND_PERM = "campaigns.send_campaign"
ADD_PERM = "campaigns.add_campaign"
LIST_PAGE_SIZE = 25
RECIPIENTS_PAGE_SIZE = 50


def staff_view(*perms: str):
    """Anonymous users go to the login page; signed-in users without the permissions get 403."""

    def decorator(view):
        guarded = login_required(permission_required((VIEW_PERM, *perms), raise_exception=True)(view))
        return wraps(view)(guarded)

    return decorator


def wizard_url(campaign: Campaign) -> str:
    return reverse("campaigns:wizard", args=[campaign.pk, campaign.wizard_step])


@staff_view()
def campaign_list(request: HttpRequest) -> HttpResponse:
    state, kind, search = (text_param(request.GET, key) for key in ("state", "kind", "q"))
    campaigns = selectors.campaign_list_queryset(state=state, kind=kind, search=search)
    page = Paginator(campaigns, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    selectors.attach_live_state(rows)
    for campaign in rows:
        campaign.url = (
            wizard_url(campaign)
            if campaign.live_state == Campaign.State.DRAFT
            else reverse("campaigns:detail", args=[campaign.pk])
        )
    return render(
        request,
        "campaigns/list.html",
        {
            "page": page,
            "campaigns": rows,
            "states": Campaign.State.choices,
            "kinds": IncidentKind.choices,
            "filters": {"state": state, "kind": kind, "q": search},
        },
    )


def _page_context(request: HttpRequest, campaign: Campaign) -> dict:
    send = selectors.campaign_main_send(campaign)
    state = selectors.campaign_state(campaign, send.state if send else None)
    can_send = request.user.has_perm(SEND_PERM)
    return {
        "campaign": campaign,
        "send": send,
        "state": state,
        "can_send": can_send,
        "can_pause": can_send and state in selectors.PAUSABLE,
        "can_resume": can_send and state in selectors.RESUMABLE,
        "can_cancel": can_send and state in selectors.CANCELLABLE,
        "can_follow_up": request.user.has_perm(ADD_PERM) and state in selectors.FOLLOW_UP_FROM,
    }


def _progress_context(campaign: Campaign, send, state: str) -> dict:
    progress = selectors.send_progress_of(send)
    bar = [
        (s, progress.percent(s), progress.by_state.get(s, 0))
        for s in (
            Message.State.DELIVERED,
            Message.State.ACCEPTED,
            Message.State.UNDELIVERABLE,
            Message.State.REJECTED,
            Message.State.EXPIRED,
            Message.State.FAILED,
            Message.State.CANCELLED,
        )
    ]
    channels = sorted(progress.by_channel)
    table = [
        (s, label, [progress.by_channel[c].get(s, 0) for c in channels], progress.by_state.get(s, 0))
        for s, label in Message.State.choices
    ]
    return {
        "campaign": campaign,
        "progress": progress,
        "bar": bar,
        "channels": channels,
        "state_table": table,
        "state": state,
        # Keep polling until the send itself is settled, so the page learns when its state changes.
        "poll": send is not None
        and send.state != "scheduled"
        and (not progress.is_complete or send.state in ("queued", "sending")),
    }


@staff_view()
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(
        Campaign.objects.select_related("incident", "created_by", "approved_by", "sent_by", "parent"), pk=pk
    )
    context = _page_context(request, campaign)
    context.update(_progress_context(campaign, context["send"], context["state"]))
    test_sends = selectors.campaign_test_sends(campaign)
    test_progress = selectors.progress_for_sends([(s.pk, s.state, s.materialized_at is not None) for s in test_sends])
    context.update(
        {
            "test_sends": [(s, test_progress[s.pk]) for s in test_sends],
            "events": selectors.campaign_events(campaign),
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
    send = selectors.campaign_main_send(campaign)
    state = selectors.campaign_state(campaign, send.state if send else None)
    context = _progress_context(campaign, send, state)
    if request.GET.get("format") == "json" or "application/json" in request.headers.get("Accept", ""):
        timeline = selectors.send_timeline(send) if request.GET.get("timeline") != "0" else None
        return JsonResponse({"state": state, **context["progress"].as_dict(), "timeline": timeline})
    shown = request.GET.get("shown")
    if request.headers.get("HX-Request") and shown and shown != state:
        # The notice changed state (completed, paused elsewhere…): reload once so header and buttons follow.
        return HttpResponse(headers={"HX-Refresh": "true"})
    return render(request, "campaigns/partials/progress.html", context)


def _message_rows(request: HttpRequest, rows: list[Message]) -> list[Message]:
    reveal = request.user.has_perm(SEND_PERM)
    for message in rows:
        message.shown_destination = message.destination if reveal else masked(message.destination)
    return rows


@staff_view()
def campaign_recipients(request: HttpRequest, pk: int) -> HttpResponse:
    """Every message of the notice, keyset-paginated by id so page 2,000 costs what page 1 does."""
    campaign = get_object_or_404(Campaign.objects.select_related("incident"), pk=pk)
    send = selectors.campaign_main_send(campaign)
    filters = {key: text_param(request.GET, key) for key in ("q", "state", "channel")}
    after, before = id_param(request.GET, "after"), id_param(request.GET, "before")
    rows: list[Message] = []
    has_more = has_previous = False
    total = 0
    if send is not None:
        messages_qs = selectors.campaign_messages(
            send, search=filters["q"], state=filters["state"], channel=filters["channel"]
        )
        if before is not None:
            rows = list(messages_qs.filter(id__lt=before).order_by("-id")[: RECIPIENTS_PAGE_SIZE + 1])
            has_previous = len(rows) > RECIPIENTS_PAGE_SIZE
            rows = rows[:RECIPIENTS_PAGE_SIZE][::-1]
            has_more = True
        else:
            start = after or 0
            rows = list(messages_qs.filter(id__gt=start)[: RECIPIENTS_PAGE_SIZE + 1])
            has_more = len(rows) > RECIPIENTS_PAGE_SIZE
            rows = rows[:RECIPIENTS_PAGE_SIZE]
            has_previous = start > 0
        total = messages_qs.count()
    context = _page_context(request, campaign)
    context.update(
        {
            "rows": _message_rows(request, rows),
            "total": total,
            "filters": filters,
            "has_more": has_more and bool(rows),
            "has_previous": has_previous and bool(rows),
            "first_id": rows[0].pk if rows else None,
            "last_id": rows[-1].pk if rows else None,
            "message_states": Message.State.choices,
            "failure_filter": "failures",
            "channels": campaign.channels or ["sms", "email"],
        }
    )
    return render(request, "campaigns/recipients.html", context)


@staff_view()
def campaign_failures(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("incident"), pk=pk)
    context = _page_context(request, campaign)
    send = context["send"]
    groups = selectors.send_failure_groups(send)
    skip_labels = dict(Message.SkipReason.choices)
    sample = list(selectors.campaign_messages(send, state="failures")[:RECIPIENTS_PAGE_SIZE]) if send else []
    context.update(
        {
            "groups": groups,
            "failure_total": sum(g.count for g in groups),
            "skips": [
                (skip_labels.get(reason, reason or _("unknown")), n)
                for reason, n in selectors.send_skip_counts(send).items()
            ],
            "rows": _message_rows(request, sample),
            "retry_default": selectors.retry_candidates(send),
            "retry_all": selectors.retry_candidates(send, Message.RETRY_OPTIONAL_STATES),
            "optional_states": Message.RETRY_OPTIONAL_STATES,
            "can_retry": context["can_send"] and send is not None and context["state"] != Campaign.State.CANCELLED,
        }
    )
    return render(request, "campaigns/failures.html", context)


def _action(request: HttpRequest, pk: int, service, done: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        service(campaign=campaign, actor=request.user)
    except lifecycle.CampaignActionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("campaigns:detail", pk=pk)


@require_POST
@staff_view(SEND_PERM)
def campaign_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, lifecycle.campaign_pause, _("Sending paused."))


@require_POST
@staff_view(SEND_PERM)
def campaign_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, lifecycle.campaign_resume, _("Sending resumed."))


@require_POST
@staff_view(SEND_PERM)
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(request, pk, lifecycle.campaign_cancel, _("Notice cancelled."))


@require_POST
@staff_view(SEND_PERM)
def campaign_retry(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    include = tuple(request.POST.getlist("include"))
    try:
        count = lifecycle.campaign_retry_failed(campaign=campaign, actor=request.user, include=include)
    except lifecycle.CampaignActionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(count)d message(s) queued again.") % {"count": count})
    return redirect("campaigns:failures", pk=pk)


@require_POST
@staff_view(ADD_PERM)
def campaign_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("incident"), pk=pk)
    try:
        draft = lifecycle.campaign_follow_up(campaign=campaign, kind=request.POST.get("kind", ""), actor=request.user)
    except lifecycle.CampaignActionNotAllowed as error:
        messages.error(request, str(error))
        return redirect("campaigns:detail", pk=pk)
    return redirect(wizard_url(draft))


@staff_view()
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident.objects.select_related("created_by"), pk=pk)
    return render(
        request,
        "campaigns/incident.html",
        {
            "incident": incident,
            "thread": selectors.incident_thread(incident),
            "can_resolve": request.user.has_perm(SEND_PERM) and incident.status == Incident.Status.OPEN,
        },
    )


@require_POST
@staff_view(SEND_PERM)
def incident_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=pk)
    latest = incident.campaigns.order_by("-created_at", "-id").first()
    lifecycle.incident_resolve(incident=incident, actor=request.user, campaign=latest)
    messages.success(request, _("Incident marked resolved."))
    return redirect("campaigns:incident", pk=pk)


urlpatterns = [
    path("", campaign_list, name="list"),
    path("<int:pk>/", campaign_detail, name="detail"),
    path("<int:pk>/progress/", campaign_progress, name="progress"),
    path("<int:pk>/recipients/", campaign_recipients, name="recipients"),
    path("<int:pk>/recipients.csv", staff_view()(exports.export_recipients), name="export_recipients"),
    path("<int:pk>/failures/", campaign_failures, name="failures"),
    path("<int:pk>/failures.csv", staff_view()(exports.export_failures), name="export_failures"),
    path("<int:pk>/pause/", campaign_pause, name="pause"),
    path("<int:pk>/resume/", campaign_resume, name="resume"),
    path("<int:pk>/cancel/", campaign_cancel, name="cancel"),
    path("<int:pk>/retry/", campaign_retry, name="retry"),
    path("<int:pk>/follow-up/", campaign_follow_up, name="follow_up"),
    path("incidents/<int:pk>/", incident_detail, name="incident"),
    path("incidents/<int:pk>/resolve/", incident_resolve, name="incident_resolve"),
]

"""What can be done to a notice once confirmed, each a POST that calls one service: pause, resume and cancel the
whole notice or one of its sends, retry its failures, draft a follow-up, take a scheduled notice back to change it;
and the incident page. The services check permissions again (rules.py); a refusal shows its reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Campaign, Incident
from campaigns.selectors.progress import incident_thread
from campaigns.services import followups, incidents, lifecycle, rules
from campaigns.views.common import refusing, staff_view, wizard_url

SEND_PERM = rules.SEND
ADD_PERM = rules.ADD


def _act(request: HttpRequest, pk: int, service: Callable[..., Any], done: str, **kwargs: Any) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        service(campaign=campaign, actor=request.user, **kwargs)
    except lifecycle.CampaignActionNotAllowed as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("campaigns:detail", pk=pk)


@require_POST
@staff_view(SEND_PERM)
@refusing
def campaign_pause(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lifecycle.campaign_pause, _("Paused: nothing more goes out and no reminder starts."))


@require_POST
@staff_view(SEND_PERM)
@refusing
def campaign_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lifecycle.campaign_resume, _("Sending resumed."))


@require_POST
@staff_view(SEND_PERM)
@refusing
def campaign_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(request, pk, lifecycle.campaign_cancel, _("Notice cancelled."))


SEND_ACTIONS = {
    "pause": (lifecycle.campaign_send_pause, _("That send is paused; the notice's other sends go on.")),
    "resume": (lifecycle.campaign_send_resume, _("That send resumed.")),
    "cancel": (lifecycle.campaign_send_cancel, _("That send is cancelled; its unsent messages will not go out.")),
}


@require_POST
@staff_view(SEND_PERM)
@refusing
def campaign_send_action(request: HttpRequest, pk: str, send_id: str, action: str) -> HttpResponse:
    """Pause, resume or cancel one send of the notice (its main send or one reminder)."""
    service, done = SEND_ACTIONS[action]
    return _act(request, int(pk), service, done, send_id=int(send_id))


@require_POST
@staff_view(SEND_PERM)
@refusing
def campaign_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        campaign = lifecycle.campaign_reopen(campaign=campaign, actor=request.user)
    except lifecycle.CampaignActionNotAllowed as error:
        messages.error(request, str(error))
        return redirect("campaigns:detail", pk=pk)
    messages.info(request, _("Back to a draft: change it, then confirm again. It is not scheduled until then."))
    return redirect(wizard_url(campaign))


@require_POST
@staff_view(SEND_PERM)
@refusing
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
@refusing
def campaign_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("incident"), pk=pk)
    try:
        draft = followups.campaign_follow_up(campaign=campaign, kind=request.POST.get("kind", ""), actor=request.user)
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
            "thread": incident_thread(incident),
            "can_resolve": rules.may(request.user, SEND_PERM) and incident.status == Incident.Status.OPEN,
        },
    )


@require_POST
@staff_view(SEND_PERM)
@refusing
def incident_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    incident = get_object_or_404(Incident, pk=pk)
    latest = incident.campaigns.order_by("-created_at", "-id").first()
    incidents.incident_resolve(incident=incident, actor=request.user, campaign=latest)
    messages.success(request, _("Incident marked resolved."))
    return redirect("campaigns:incident", pk=pk)


urlpatterns = [
    path("<int:pk>/pause/", campaign_pause, name="pause"),
    path("<int:pk>/resume/", campaign_resume, name="resume"),
    path("<int:pk>/cancel/", campaign_cancel, name="cancel"),
    path("<int:pk>/reopen/", campaign_reopen, name="reopen"),
    re_path(
        r"^(?P<pk>[0-9]+)/sends/(?P<send_id>[0-9]+)/(?P<action>pause|resume|cancel)/$",
        campaign_send_action,
        name="send_action",
    ),
    path("<int:pk>/retry/", campaign_retry, name="retry"),
    path("<int:pk>/follow-up/", campaign_follow_up, name="follow_up"),
    path("incidents/<int:pk>/", incident_detail, name="incident"),
    path("incidents/<int:pk>/resolve/", incident_resolve, name="incident_resolve"),
]

"""A planned maintenance on its notice's page: the schedule its notice made (reminders, started, completed), and
the ops buttons that move the window (Start now, Complete now, Extend). Each POST calls one service, which checks the
permission again; a refusal shows its reason. Cancelling one notice of the schedule is the notice's own Cancel."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.forms.fields import LocalDateTimeField
from campaigns.models import Campaign
from campaigns.selectors.maintenance import maintenance_root, maintenance_rows
from campaigns.services import lifecycle, maintenance_window, rules
from campaigns.views.common import refusing, staff_view
from campaigns.views.wizard.base import SESSION_TZ, activate_zone


class ExtendForm(forms.Form):
    end = LocalDateTimeField(label=_("New end"))


def maintenance_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    """What the notice page shows of a maintenance (nothing for other notices), times in the viewer's zone."""
    root = maintenance_root(campaign)
    if root is None:
        return {}
    can_move = (
        rules.may(request.user, rules.SEND)
        and root.incident.status == "open"
        and root.state in ("sending", "completed")
    )
    return {
        "maintenance": root,
        "maintenance_rows": maintenance_rows(root),
        "maintenance_zone": request.session.get(SESSION_TZ) or settings.TIME_ZONE,
        "can_move_window": can_move,
        "extend_form": ExtendForm(initial={"end": root.incident.expected_resolution_at}) if can_move else None,
    }


def _window_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("parent"), pk=pk)
    activate_zone(request)
    try:
        if action == "start":
            maintenance_window.maintenance_start_now(campaign=campaign, actor=request.user)
            messages.success(request, _("The maintenance started: its reminders not yet sent are cancelled."))
        elif action == "complete":
            maintenance_window.maintenance_complete_now(campaign=campaign, actor=request.user)
            messages.success(request, _("The maintenance is completed."))
        else:
            form = ExtendForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("Give the new end as a date and time."))
                return redirect("campaigns:detail", pk=pk)
            end = form.cleaned_data["end"]
            maintenance_window.maintenance_extend(campaign=campaign, end=end, actor=request.user)
            messages.success(request, _("The window is extended; “completed” goes at the new end."))
    except lifecycle.CampaignActionNotAllowed as error:
        messages.error(request, str(error))
    return redirect("campaigns:detail", pk=pk)


@require_POST
@staff_view(rules.SEND)
@refusing
def maintenance_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _window_action(request, pk, "start")


@require_POST
@staff_view(rules.SEND)
@refusing
def maintenance_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _window_action(request, pk, "complete")


@require_POST
@staff_view(rules.SEND)
@refusing
def maintenance_extend(request: HttpRequest, pk: int) -> HttpResponse:
    return _window_action(request, pk, "extend")


urlpatterns = [
    path("<int:pk>/maintenance/start/", maintenance_start, name="maintenance_start"),
    path("<int:pk>/maintenance/complete/", maintenance_complete, name="maintenance_complete"),
    path("<int:pk>/maintenance/extend/", maintenance_extend, name="maintenance_extend"),
]

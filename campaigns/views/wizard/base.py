"""The outage form's foundations: permissions, the author's time zone, the step navigation and StepView.

Each step reads its form, calls one draft service, and redirects (Save and continue, Back, or straight back to the
preview). A step the author has not reached yet redirects to the furthest one reached, so steps cannot be skipped;
a notice that has left the draft state sends every step to its campaign page. Only the draft's author (or someone
allowed to edit others' drafts) opens its editing steps; others get a 403 page that says whose draft it is, and
may read its preview. Live parts (audience counts, the preview's recipient search, test delivery statuses) are
small htmx partials; every form also works without JavaScript.
"""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from campaigns.forms.incident import IncidentForm
from campaigns.models import Campaign
from campaigns.selectors.audit import standing_decline
from campaigns.services import drafts, rules, steps
from campaigns.services.reach import campaign_notice_kind
from campaigns.views.common import forbidden
from clients.selectors import AudienceCounts, audience_counts

SESSION_TZ = "wizard_tz"


def activate_zone(request: HttpRequest) -> None:
    """Times are entered and shown in the author's zone: the browser tells it (hidden ``tz`` field), else the default."""
    name = str(request.POST.get("tz") or request.session.get(SESSION_TZ) or settings.TIME_ZONE)
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        name = str(settings.TIME_ZONE)
        zone = zoneinfo.ZoneInfo(name)
    if request.session.get(SESSION_TZ) != name:
        request.session[SESSION_TZ] = name
    timezone.activate(zone)


class StaffPermissionMixin(PermissionRequiredMixin):
    """Anonymous visitors go to the login page; signed-in staff without the permission get 403."""

    permission_required = rules.ADD
    request: HttpRequest

    def handle_no_permission(self) -> HttpResponseRedirect:
        if not self.request.user.is_authenticated:
            return redirect_to_login(self.request.get_full_path())
        raise PermissionDenied


def step_url(campaign: Campaign, step: str) -> str:
    return reverse("campaigns:wizard", args=[campaign.pk, step])


def steps_nav(campaign: Campaign | None, current: str) -> list[dict[str, Any]]:
    reached = steps.step_index(campaign.wizard_step) if campaign else -1
    return [
        {
            "name": step,
            "title": steps.STEP_TITLES[step],
            "number": index + 1,
            "url": step_url(campaign, step) if campaign else "",
            "reachable": index <= reached,
            "current": step == current,
        }
        for index, step in enumerate(steps.STEPS)
    ]


def draft_counts(campaign: Campaign) -> AudienceCounts | None:
    if not campaign.audience or not campaign.channels:
        return None
    return audience_counts(
        campaign.audience, campaign.channels, notice_kind=campaign_notice_kind(campaign), mandatory=campaign.mandatory
    )


class NewNoticeView(StaffPermissionMixin, View):
    """Step 1 for a new notice: the incident form; saving it creates the incident and the draft."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        activate_zone(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = IncidentForm(initial={"started_at": timezone.now().replace(second=0, microsecond=0)})
        return self._render(request, form)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = IncidentForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        fields = form.incident_fields()
        campaign = drafts.campaign_draft_create(
            incident_fields=fields, kind=fields["kind"], title=fields["title"], created_by=request.user, kind_text=True
        )
        return redirect(step_url(campaign, "audience"))

    def _render(self, request: HttpRequest, form: IncidentForm) -> HttpResponse:
        context = {"form": form, "steps": steps_nav(None, "incident"), "step": "incident", "campaign": None}
        return render(request, "campaigns/wizard/incident.html", context)


class StepView(StaffPermissionMixin, View):
    """One step of an existing draft: pre-conditions, the form, and where each button goes."""

    step = ""
    allow_when_awaiting_approval = False
    readable_by_others = False  # the preview: approvers and colleagues may read a draft they cannot edit
    campaign: Campaign

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        activate_zone(request)
        self.campaign = get_object_or_404(
            Campaign.objects.select_related("incident", "parent", "created_by"), pk=kwargs["pk"]
        )
        if not self.has_permission():
            return self.handle_no_permission()
        if self.campaign.state != Campaign.State.DRAFT and not (
            self.allow_when_awaiting_approval and self.campaign.state == Campaign.State.AWAITING_APPROVAL
        ):
            messages.info(
                request,
                f"This notice is already {self.campaign.get_state_display()}; "
                "nothing was sent twice. Here is its page.",
            )
            return redirect("campaigns:detail", pk=self.campaign.pk)
        self.edit_problem = rules.edit_problem(self.campaign, request.user)
        if self.edit_problem and (request.method == "POST" or not self.readable_by_others):
            return forbidden(request, self.edit_problem, self.campaign)
        if steps.step_index(self.step) > steps.step_index(self.campaign.wizard_step):
            return redirect(step_url(self.campaign, self.campaign.wizard_step))
        return View.dispatch(self, request, *args, **kwargs)

    # Hooks --------------------------------------------------------------------------------------------------------
    def get_form(self, data: Any = None, files: Any = None) -> Any:
        return None

    def save(self, form: Any) -> None:
        """Save a valid form through the draft services."""

    def keep(self, form: Any) -> None:
        """Keep what can be kept of an invalid form before leaving the step (Back)."""

    def extra_context(self, form: Any) -> dict[str, Any]:
        return {}

    # Flow ---------------------------------------------------------------------------------------------------------
    def next_step(self) -> str:
        return steps.STEPS[steps.step_index(self.step) + 1]

    def previous_step(self) -> str:
        return steps.STEPS[max(steps.step_index(self.step) - 1, 0)]

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render(self.get_form())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = self.get_form(request.POST, request.FILES)
        going_back = "_back" in request.POST
        if form is None or form.is_valid():
            if form is not None:
                self.save(form)
            self.campaign.refresh_from_db()
            if going_back:
                return redirect(step_url(self.campaign, self.previous_step()))
            if "_preview" in request.POST and steps.step_index(self.campaign.wizard_step) >= steps.step_index(
                "preview"
            ):
                return redirect(step_url(self.campaign, "preview"))
            steps.campaign_step_reach(campaign=self.campaign, step=self.next_step())
            return redirect(step_url(self.campaign, self.next_step()))
        self.keep(form)
        if going_back:
            messages.warning(request, "Some fields on that step were not valid and were not saved.")
            return redirect(step_url(self.campaign, self.previous_step()))
        return self.render(form, status=200)

    def render(self, form: Form | None, status: int = 200) -> HttpResponse:
        context = {
            "campaign": self.campaign,
            "form": form,
            "step": self.step,
            "steps": steps_nav(self.campaign, self.step),
            "can_return_to_preview": steps.step_index(self.campaign.wizard_step) >= steps.step_index("preview")
            and steps.step_index(self.step) < steps.step_index("preview"),
            "decline": standing_decline(self.campaign) if self.campaign.state == Campaign.State.DRAFT else None,
            "may_edit": not self.edit_problem,
            **self.extra_context(form),
        }
        return render(self.request, f"campaigns/wizard/{self.step}.html", context, status=status)

"""The outage form's foundations: permissions, the author's time zone, the step navigation and StepView.

Each step reads its form, calls one draft service, and redirects (Save and continue, Back, or straight back to the
preview). A step the author has not reached yet redirects to the furthest one reached, so steps cannot be skipped;
a notice that has left the draft state sends every step to its campaign page. Live parts (audience counts, the
preview's recipient search, test delivery statuses) are small htmx partials; every form also works without
JavaScript.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from campaigns.forms.incident import IncidentForm
from campaigns.models import Campaign
from campaigns.services import drafts, sending
from clients.selectors import audience_counts
from notifications.models import Message

SESSION_TZ = "wizard_tz"
REASON_LABELS = dict(Message.SkipReason.choices)


def activate_zone(request: HttpRequest) -> None:
    """Times are entered and shown in the author's zone: the browser tells it (hidden ``tz`` field), else the default."""
    name = request.POST.get("tz") or request.session.get(SESSION_TZ) or settings.TIME_ZONE
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        name = settings.TIME_ZONE
    if request.session.get(SESSION_TZ) != name:
        request.session[SESSION_TZ] = name
    timezone.activate(zone)


class StaffPermissionMixin(PermissionRequiredMixin):
    """Anonymous visitors go to the login page; signed-in staff without the permission get 403."""

    permission_required = "campaigns.add_campaign"

    def handle_no_permission(self):
        if not self.request.user.is_authenticated:
            return redirect_to_login(self.request.get_full_path())
        raise PermissionDenied


def step_url(campaign: Campaign, step: str) -> str:
    return reverse("campaigns:wizard", args=[campaign.pk, step])


def steps_nav(campaign: Campaign, current: str) -> list[dict]:
    reached = drafts.step_index(campaign.wizard_step)
    return [
        {
            "name": step,
            "title": drafts.STEP_TITLES[step],
            "number": index + 1,
            "url": step_url(campaign, step),
            "reachable": index <= reached,
            "current": step == current,
        }
        for index, step in enumerate(drafts.STEPS)
    ]


def draft_counts(campaign: Campaign):
    if not campaign.audience or not campaign.channels:
        return None
    return audience_counts(
        campaign.audience,
        campaign.channels,
        notice_kind=sending.campaign_notice_kind(campaign),
        mandatory=campaign.mandatory,
    )


def follow_up_note(campaign: Campaign) -> str:
    if campaign.parent_id is None:
        return ""
    size = len(campaign.audience.get("clients") or [])
    return f"Same recipients as “{campaign.parent.title}” ({size} clients)"


class NewNoticeView(StaffPermissionMixin, View):
    """Step 1 for a new notice: the incident form; saving it creates the incident and the draft."""

    def dispatch(self, request, *args, **kwargs):
        activate_zone(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = IncidentForm(initial={"started_at": timezone.now().replace(second=0, microsecond=0)})
        return self._render(request, form)

    def post(self, request):
        form = IncidentForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        fields = form.incident_fields()
        campaign = drafts.campaign_draft_create(
            incident_fields=fields, kind=fields["kind"], title=fields["title"], created_by=request.user, source="web"
        )
        return redirect(step_url(campaign, "audience"))

    def _render(self, request, form):
        steps = [
            {
                "name": s,
                "title": drafts.STEP_TITLES[s],
                "number": i + 1,
                "url": "",
                "reachable": False,
                "current": s == "incident",
            }
            for i, s in enumerate(drafts.STEPS)
        ]
        return render(
            request,
            "campaigns/wizard/incident.html",
            {"form": form, "steps": steps, "step": "incident", "campaign": None},
        )


class StepView(StaffPermissionMixin, View):
    """One step of an existing draft: pre-conditions, the form, and where each button goes."""

    step = ""
    allow_when_awaiting_approval = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        activate_zone(request)
        self.campaign = get_object_or_404(Campaign.objects.select_related("incident", "parent"), pk=kwargs["pk"])
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
        if drafts.step_index(self.step) > drafts.step_index(self.campaign.wizard_step):
            return redirect(step_url(self.campaign, self.campaign.wizard_step))
        return View.dispatch(self, request, *args, **kwargs)

    # Hooks --------------------------------------------------------------------------------------------------------
    def get_form(self, data=None, files=None):
        return None

    def save(self, form) -> None:
        """Save a valid form through the draft services."""

    def keep(self, form) -> None:
        """Keep what can be kept of an invalid form before leaving the step (Back)."""

    def extra_context(self, form) -> dict:
        return {}

    # Flow ---------------------------------------------------------------------------------------------------------
    def next_step(self) -> str:
        return drafts.STEPS[drafts.step_index(self.step) + 1]

    def previous_step(self) -> str:
        return drafts.STEPS[max(drafts.step_index(self.step) - 1, 0)]

    def get(self, request, pk):
        return self.render(self.get_form())

    def post(self, request, pk):
        form = self.get_form(request.POST, request.FILES)
        going_back = "_back" in request.POST
        if form is None or form.is_valid():
            if form is not None:
                self.save(form)
            self.campaign.refresh_from_db()
            if going_back:
                return redirect(step_url(self.campaign, self.previous_step()))
            if "_preview" in request.POST and drafts.step_index(self.campaign.wizard_step) >= drafts.step_index(
                "preview"
            ):
                return redirect(step_url(self.campaign, "preview"))
            drafts.campaign_step_reach(campaign=self.campaign, step=self.next_step())
            return redirect(step_url(self.campaign, self.next_step()))
        self.keep(form)
        if going_back:
            messages.warning(request, "Some fields on that step were not valid and were not saved.")
            return redirect(step_url(self.campaign, self.previous_step()))
        return self.render(form, status=200)

    def render(self, form, status: int = 200) -> HttpResponse:
        context = {
            "campaign": self.campaign,
            "form": form,
            "step": self.step,
            "steps": steps_nav(self.campaign, self.step),
            "can_return_to_preview": drafts.step_index(self.campaign.wizard_step) >= drafts.step_index("preview")
            and drafts.step_index(self.step) < drafts.step_index("preview"),
            **self.extra_context(form),
        }
        return render(self.request, f"campaigns/wizard/{self.step}.html", context, status=status)

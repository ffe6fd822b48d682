"""The outage form's "Save as segment": the audience being built in step 2, kept as a segment for next time.

One small view beside the wizard (it saves nothing of the draft): it reads the audience step's form as posted,
asks ``clients.segments`` to save it, and answers the htmx request with a line saying so (or why not); without
JavaScript it goes back to the audience step with the same message.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.views import View

from campaigns.forms.audience import AudienceForm
from campaigns.models import Campaign
from campaigns.views.wizard.base import StaffPermissionMixin, step_url
from clients.segments import SegmentNotSaved, segment_save_from_conditions


class SaveAsSegmentView(StaffPermissionMixin, View):
    permission_required = "clients.add_segment"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        form = AudienceForm(request.POST, campaign=campaign)
        segment, problem = None, ""
        if not form.is_valid() and "definition" not in form.cleaned_data:
            problem = "The audience has errors; fix them first (see the form)."
        else:
            try:
                segment = segment_save_from_conditions(
                    actor=request.user,
                    name=str(request.POST.get("segment_name", "")),
                    definition=form.cleaned_data["definition"],
                    description=f"Saved from the outage form (notice #{campaign.pk}).",
                )
            except (SegmentNotSaved, PermissionDenied) as error:
                problem = str(error)
        if not request.headers.get("HX-Request"):
            if segment is not None:
                messages.success(request, f"Saved as the segment “{segment.name}”.")
            else:
                messages.error(request, problem)
            return HttpResponseRedirect(step_url(campaign, "audience"))
        admin_url = reverse("admin:clients_segment_change", args=[segment.pk]) if segment else ""
        context = {"segment": segment, "problem": problem, "admin_url": admin_url}
        return render(request, "clients/segment_saved.html", context)


urlpatterns = [path("<int:pk>/wizard/save-segment/", SaveAsSegmentView.as_view(), name="save_segment")]

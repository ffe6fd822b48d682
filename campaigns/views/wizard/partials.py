"""The outage form's live parts (htmx): audience counts, the preview's recipient search, test statuses."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.views import View

from campaigns.forms.audience import AudienceForm
from campaigns.models import Campaign
from campaigns.views.wizard.base import REASON_LABELS, StaffPermissionMixin
from campaigns.views.wizard.review import latest_test_summary, recipients_context

# Partials (htmx) ---------------------------------------------------------------------------------------------------


class AudienceCountsView(StaffPermissionMixin, View):
    """The live counts beside the audience form, computed from the form as it stands (nothing is saved)."""

    def post(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        form = AudienceForm(request.POST, campaign=campaign)
        form.is_valid()
        return render(
            request,
            "campaigns/wizard/_counts.html",
            {"counts": form.counts, "reason_labels": REASON_LABELS, "form": form, "live": True},
        )


class PreviewRecipientsView(StaffPermissionMixin, View):
    """The first recipients the audience matches, searchable and paginated, with why any channel is excluded."""

    def has_permission(self) -> bool:
        user = self.request.user
        return user.has_perm("campaigns.add_campaign") or user.has_perm("campaigns.approve_campaign")

    def get(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        return render(request, "campaigns/wizard/_recipients.html", recipients_context(campaign, request.GET))


class TestStatusView(StaffPermissionMixin, View):
    """The latest test send's delivery statuses; the partial keeps polling until every message is final."""

    __test__ = False

    def get(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        return render(
            request,
            "campaigns/wizard/_test_status.html",
            {"campaign": campaign, "test_summary": latest_test_summary(campaign)},
        )

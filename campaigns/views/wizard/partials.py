"""The outage form's live parts (htmx): audience counts, the preview's recipient search, test statuses."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views import View

from campaigns.forms.audience import AudienceForm
from campaigns.models import Campaign
from campaigns.selectors.preview import REASON_LABELS, latest_test_summary, recipients_context
from campaigns.services import rules
from campaigns.views.params import clean_text
from campaigns.views.wizard.base import StaffPermissionMixin


class AudienceCountsView(StaffPermissionMixin, View):
    """The live counts beside the audience form, computed from the form as it stands (nothing is saved)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        form = AudienceForm(request.POST, campaign=campaign)
        form.is_valid()
        return render(
            request,
            "campaigns/wizard/_counts.html",
            {"counts": form.counts, "chain": form.chain, "reason_labels": REASON_LABELS, "form": form, "live": True},
        )


class PreviewRecipientsView(StaffPermissionMixin, View):
    """The first recipients the audience matches, searchable and paginated, with why any channel is excluded."""

    def has_permission(self) -> bool:
        return rules.may(self.request.user, rules.ADD) or rules.may(self.request.user, rules.APPROVE)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        context = recipients_context(campaign, request.GET, clean_text(request.GET.get("q")))
        return render(request, "campaigns/wizard/_recipients.html", context)


class TestStatusView(StaffPermissionMixin, View):
    """The latest test send's delivery statuses; the partial keeps polling until every message is final."""

    __test__ = False

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        campaign = get_object_or_404(Campaign, pk=pk)
        return render(
            request,
            "campaigns/wizard/_test_status.html",
            {"campaign": campaign, "test_summary": latest_test_summary(campaign)},
        )

"""Drafts and copies: the drafts list, discarding a draft, and duplicating any notice into a new draft.

Each POST calls one service (campaigns/services/copies.py), which checks the permission again and writes the audit.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from campaigns.services import copies, rules
from campaigns.services.drafts import CampaignNotEditable
from campaigns.views.common import refusing, staff_view

DRAFTS_PAGE_SIZE = 50


@staff_view()
def draft_list(request: HttpRequest) -> HttpResponse:
    drafts = (
        Campaign.objects.filter(state=Campaign.State.DRAFT)
        .select_related("created_by", "incident")
        .order_by("-updated_at", "-pk")
    )
    page = Paginator(drafts, DRAFTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "campaigns/drafts.html", {"page": page})


@require_POST
@staff_view(rules.ADD)
@refusing
def campaign_discard(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        copies.campaign_discard(campaign=campaign, actor=request.user)
    except CampaignNotEditable as error:
        messages.error(request, str(error))
        return redirect("campaigns:detail", pk=pk)
    messages.success(request, _("Draft “%(title)s” discarded; nothing was sent.") % {"title": campaign.title})
    return redirect("campaigns:drafts")


@require_POST
@staff_view(rules.ADD)
@refusing
def campaign_duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft from this notice; it opens on its incident (a new one) or its audience (the same incident)."""
    source = get_object_or_404(Campaign.objects.select_related("incident"), pk=pk)
    draft = copies.campaign_duplicate(campaign=source, actor=request.user)
    same = draft.incident_id == source.incident_id
    if same:
        text = _("A copy of “%(title)s” for the same incident: choose who hears it, then check each step.")
    else:
        text = _("A copy of “%(title)s” for a new incident starting now: check the incident, then each step.")
    messages.info(request, text % {"title": source.title})
    return redirect(reverse("campaigns:wizard", args=[draft.pk, "audience" if same else "incident"]))


urlpatterns = [
    path("drafts/", draft_list, name="drafts"),
    path("<int:pk>/discard/", campaign_discard, name="discard"),
    path("<int:pk>/duplicate/", campaign_duplicate, name="duplicate"),
]

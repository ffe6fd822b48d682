"""A second person's decision on a notice awaiting approval: approve, decline with a reason, or (incident leads)
send it at once as an emergency with a reason. Each is a POST calling one service in approval.py, which checks
again who may (not its author, confirmer or an editor; the emergency permission)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from campaigns.models import Campaign
from campaigns.services import approval, rules
from campaigns.services.starting import CampaignAlreadySent, CampaignNotReady
from campaigns.views.common import forbidden, staff_view
from campaigns.views.params import clean_text, id_param


def _preview(campaign: Campaign) -> str:
    return reverse("campaigns:wizard", args=[campaign.pk, "preview"])


@require_POST
@staff_view(rules.APPROVE)
def campaign_approve(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        campaign = approval.campaign_approve(
            campaign=campaign, actor=request.user, expected=id_param(request.POST, "expected")
        )
    except approval.ApprovalNotAllowed as error:
        return forbidden(request, str(error), campaign)
    except CampaignAlreadySent as error:
        messages.info(request, str(error))
    except (CampaignNotReady, approval.ApprovalAudienceChanged) as error:
        messages.error(request, str(error))
        return redirect(_preview(campaign))
    else:
        messages.success(
            request,
            _("Approved: %(state)s to %(n)d recipients.")
            % {"state": campaign.get_state_display(), "n": campaign.audience_size},
        )
    return redirect("campaigns:detail", pk=campaign.pk)


@require_POST
@staff_view(rules.APPROVE)
def campaign_decline(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        approval.campaign_decline(
            campaign=campaign, actor=request.user, reason=clean_text(request.POST.get("reason"), 1000)
        )
    except approval.ApprovalNotAllowed as error:
        return forbidden(request, str(error), campaign)
    except approval.ReasonRequired as error:
        messages.error(request, _("To decline, %(why)s") % {"why": str(error)[0].lower() + str(error)[1:]})
        return redirect(_preview(campaign))
    except CampaignAlreadySent as error:
        messages.info(request, str(error))
    else:
        messages.success(request, _("Declined. The author sees your reason and can change the notice."))
    return redirect("campaigns:detail", pk=campaign.pk)


@require_POST
@staff_view(rules.EMERGENCY)
def campaign_emergency(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a notice that waits for approval now, without a second person (incident leads, with a reason)."""
    campaign = get_object_or_404(Campaign, pk=pk)
    try:
        campaign = approval.campaign_emergency_send(
            campaign=campaign, actor=request.user, reason=clean_text(request.POST.get("reason"), 1000)
        )
    except rules.NotAllowed as error:
        return forbidden(request, str(error), campaign)
    except (approval.ReasonRequired, CampaignNotReady) as error:
        messages.error(request, str(error))
        return redirect("campaigns:detail", pk=campaign.pk)
    except CampaignAlreadySent as error:
        messages.info(request, str(error))
    else:
        messages.warning(
            request,
            _("Sent as an emergency to %(n)d recipients; the approvers were told.") % {"n": campaign.audience_size},
        )
    return redirect("campaigns:detail", pk=campaign.pk)


urlpatterns = [
    path("<int:pk>/approve/", campaign_approve, name="approve"),
    path("<int:pk>/decline/", campaign_decline, name="decline"),
    path("<int:pk>/emergency/", campaign_emergency, name="emergency"),
]

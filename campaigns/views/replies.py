"""A notice's replies as JSON, polled by ``static/js/replies.js`` to keep the count, the tally and the list live.

Reading needs ``campaigns.view_campaign``; whole numbers need the privacy permission too (the selector masks them).
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import path

from campaigns.models import Campaign
from campaigns.selectors.replies import notice_replies
from campaigns.views.common import staff_view


@staff_view()
def campaign_replies(request: HttpRequest, pk: int) -> JsonResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    return JsonResponse(notice_replies(campaign, request.user), headers={"Cache-Control": "no-store"})


urlpatterns = [path("<int:pk>/replies/", campaign_replies, name="replies")]

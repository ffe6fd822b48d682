"""A notice's recipients (every message, keyset-paginated), one message read whole (its full text and the email as
sent), and its failures (grouped by reason, with the retry). Destinations are masked for people without the send
permission."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.translation import gettext as _

from campaigns.models import Campaign
from campaigns.selectors.messages import (
    MessagePage,
    campaign_messages,
    message_page,
    retry_candidates,
    send_failure_groups,
    send_skip_counts,
)
from campaigns.services import rules
from campaigns.views import exports
from campaigns.views.common import staff_view
from campaigns.views.exports import masked
from campaigns.views.params import id_param, text_param
from campaigns.views.tracking import page_context
from notifications.models import Message

RECIPIENTS_PAGE_SIZE = 50


def _shown(request: HttpRequest, rows: list[Message]) -> list[Message]:
    reveal = rules.may(request.user, rules.SEND)
    for message in rows:
        message.shown_destination = message.destination if reveal else masked(message.destination)  # type: ignore[attr-defined]
    return rows


@staff_view()
def campaign_recipients(request: HttpRequest, pk: int) -> HttpResponse:
    """Every message of the notice, keyset-paginated by id so page 2,000 costs what page 1 does."""
    campaign = get_object_or_404(Campaign.objects.select_related("incident"), pk=pk)
    context = page_context(request, campaign)
    send = context["send"]
    filters = {key: text_param(request.GET, key) for key in ("q", "state", "channel")}
    page = MessagePage(rows=[])
    if send is not None:
        page = message_page(
            campaign_messages(send, search=filters["q"], state=filters["state"], channel=filters["channel"]),
            after=id_param(request.GET, "after"),
            before=id_param(request.GET, "before"),
            size=RECIPIENTS_PAGE_SIZE,
        )
    context.update(
        {
            "rows": _shown(request, page.rows),
            "total": page.total,
            "filters": filters,
            "has_more": page.has_more,
            "has_previous": page.has_previous,
            "first_id": page.first_id,
            "last_id": page.last_id,
            "message_states": Message.State.choices,
            "failure_filter": "failures",
            "channels": campaign.channels or ["sms", "email"],
        }
    )
    return render(request, "campaigns/recipients.html", context)


@staff_view()
def campaign_message(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """One message of the notice (its sends: main, reminders, tests) read whole: nothing clipped."""
    campaign = get_object_or_404(Campaign.objects.select_related("incident"), pk=pk)
    message = get_object_or_404(
        Message.objects.select_related("client", "test_recipient", "send"),
        pk=message_id,
        send__campaign_link__campaign=campaign,
    )
    context = page_context(request, campaign)
    reports = list(message.reports.order_by("received_at", "id")[:20])
    context.update({"message": _shown(request, [message])[0], "reports": reports, "tab": "recipients"})
    return render(request, "campaigns/message.html", context)


@staff_view()
def campaign_failures(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(Campaign.objects.select_related("incident"), pk=pk)
    context = page_context(request, campaign)
    send = context["send"]
    groups = send_failure_groups(send)
    skip_labels = dict(Message.SkipReason.choices)
    sample = list(campaign_messages(send, state="failures")[:RECIPIENTS_PAGE_SIZE]) if send else []
    context.update(
        {
            "groups": groups,
            "failure_total": sum(g.count for g in groups),
            "skips": [
                (skip_labels.get(reason, reason or _("unknown")), n) for reason, n in send_skip_counts(send).items()
            ],
            "rows": _shown(request, sample),
            "retry_default": retry_candidates(send),
            "retry_all": retry_candidates(send, Message.RETRY_OPTIONAL_STATES),
            "optional_counts": [
                (state, sum(group.count for group in groups if group.state == state))
                for state in Message.RETRY_OPTIONAL_STATES
            ],
            "can_retry": context["can_send"] and send is not None and context["state"] != Campaign.State.CANCELLED,
        }
    )
    return render(request, "campaigns/failures.html", context)


urlpatterns = [
    path("<int:pk>/recipients/", campaign_recipients, name="recipients"),
    path("<int:pk>/messages/<int:message_id>/", campaign_message, name="message"),
    path("<int:pk>/recipients.csv", staff_view()(exports.export_recipients), name="export_recipients"),
    path("<int:pk>/failures/", campaign_failures, name="failures"),
    path("<int:pk>/failures.csv", staff_view()(exports.export_failures), name="export_failures"),
]

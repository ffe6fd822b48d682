"""Steps 5–7 of the outage form: preview (where an approver also approves or declines), test send, send.

The Send step confirms through the door (campaigns/services/door.py): above the approval threshold the notice waits
for a second person, unless someone with the emergency permission sends it now with a typed reason.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from campaigns.forms.sending import ConfirmForm, TestSendForm
from campaigns.models import Campaign
from campaigns.selectors.audit import approval_request
from campaigns.selectors.preview import (
    REASON_LABELS,
    audience_text,
    latest_test_summary,
    recipient_samples,
    recipients_context,
    schedule_text,
)
from campaigns.services import approval, door, rules, steps
from campaigns.services.reach import approval_needed, campaign_reach
from campaigns.services.starting import CampaignAlreadySent, CampaignNotReady
from campaigns.services.variables import SHARED_VARIABLE_LABELS, campaign_empty_variables
from campaigns.views.params import clean_text
from campaigns.views.wizard.base import StepView, draft_counts, step_url
from clients.models import TestRecipient
from notifications.content import content_errors


class PreviewStepView(StepView):
    step = "preview"
    allow_when_awaiting_approval = True
    readable_by_others = True

    def has_permission(self) -> bool:
        return rules.may(self.request.user, rules.ADD) or rules.may(self.request.user, rules.APPROVE)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if self.campaign.state != Campaign.State.DRAFT or not rules.may(request.user, rules.ADD):
            raise PermissionDenied
        return super().post(request, pk)

    def extra_context(self, form: Any) -> dict[str, Any]:
        errors = (
            content_errors(self.campaign.content, self.campaign.channels)
            if self.campaign.content
            else {"content": "No message yet."}
        )
        reach = campaign_reach(self.campaign)
        waiting = approval_request(self.campaign)
        problem = rules.approval_problem(self.campaign, self.request.user) if waiting else ""
        return {
            "counts": draft_counts(self.campaign),
            "editable": self.campaign.state == Campaign.State.DRAFT and not self.edit_problem,
            "reach": reach,
            "reason_labels": REASON_LABELS,
            "content_errors": errors,
            "empty_variables": [SHARED_VARIABLE_LABELS[name] for name in campaign_empty_variables(self.campaign)],
            "samples": [] if errors else recipient_samples(self.campaign),
            "schedule_text": schedule_text(self.campaign),
            "audience_text": audience_text(self.campaign),
            "languages": dict(settings.LANGUAGES),
            "approval_request": waiting,
            "can_approve": waiting is not None and not problem,
            "approval_problem": problem if rules.may(self.request.user, rules.APPROVE) else "",
            "can_emergency": waiting is not None and rules.may(self.request.user, rules.EMERGENCY),
            "test_summary": latest_test_summary(self.campaign),
            **recipients_context(self.campaign, self.request.GET, clean_text(self.request.GET.get("q"))),
        }


class TestStepView(StepView):
    __test__ = False  # not a pytest test class
    step = "test"

    def get_form(self, data: Any = None, files: Any = None) -> TestSendForm:
        active = TestRecipient.objects.filter(is_active=True).values_list("pk", flat=True)
        return TestSendForm(data, initial={"test_recipients": list(active[:3])})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if "_send_test" not in request.POST:
            steps.campaign_step_reach(campaign=self.campaign, step="send")
            if "_back" in request.POST:
                return redirect(step_url(self.campaign, "preview"))
            return redirect(step_url(self.campaign, "send"))
        if not rules.may(request.user, rules.TEST_SEND):
            raise PermissionDenied
        form = self.get_form(request.POST)
        if not form.is_valid():
            return self.render(form)
        try:
            door.campaign_test_send(
                campaign=self.campaign,
                actor=request.user,
                test_recipient_ids=[r.pk for r in form.cleaned_data["test_recipients"]],
            )
        except (CampaignNotReady, door.TestSendLimited) as error:
            form.add_error(None, str(error))
            return self.render(form, status=429 if isinstance(error, door.TestSendLimited) else 200)
        messages.success(request, "Test sent. Delivery statuses appear below as they arrive.")
        return redirect(step_url(self.campaign, self.step))

    def extra_context(self, form: Any) -> dict[str, Any]:
        return {"test_summary": latest_test_summary(self.campaign)}


class SendStepView(StepView):
    step = "send"

    def confirm_form(self, data: Any = None) -> ConfirmForm:
        self.reach = campaign_reach(self.campaign)
        action = "Schedule for" if self.campaign.send_mode != Campaign.SendMode.NOW else "Send to"
        label = f"Yes, {action.lower()} {self.reach.recipients} recipients ({self.reach.messages} messages)"
        return ConfirmForm(data, recipients=self.reach.recipients, label=label)

    def get_form(self, data: Any = None, files: Any = None) -> ConfirmForm:
        return self.confirm_form(data)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if "_back" in request.POST:
            return redirect(step_url(self.campaign, "test"))
        if not rules.may(request.user, rules.SEND):
            raise PermissionDenied
        form = self.confirm_form(request.POST)
        if not form.is_valid():
            return self.render(form)
        emergency = form.cleaned_data.get("emergency_reason", "") if "_emergency" in request.POST else None
        try:
            campaign = door.campaign_confirm(campaign=self.campaign, actor=request.user, emergency_reason=emergency)
        except CampaignAlreadySent:
            messages.info(request, "This notice was already sent; nothing was sent twice.")
            return redirect("campaigns:detail", pk=self.campaign.pk)
        except (CampaignNotReady, approval.ReasonRequired) as error:
            form.add_error("emergency_reason" if isinstance(error, approval.ReasonRequired) else None, str(error))
            return self.render(form)
        if campaign.state == Campaign.State.AWAITING_APPROVAL:
            messages.warning(
                request,
                f"{campaign.audience_size} recipients is above the approval threshold "
                f"({settings.APPROVAL_THRESHOLD}); the approvers were told. A person who neither wrote nor edited "
                "it must approve it before it goes.",
            )
        elif campaign.emergency_at and campaign.emergency_by_id == request.user.pk:
            messages.warning(request, f"Sent as an emergency to {campaign.audience_size} recipients; approvers told.")
        elif campaign.state == Campaign.State.SCHEDULED:
            messages.success(request, f"Scheduled: {schedule_text(campaign)}, to {campaign.audience_size} recipients.")
        else:
            messages.success(request, f"Sending to {campaign.audience_size} recipients.")
        return redirect("campaigns:detail", pk=campaign.pk)

    def extra_context(self, form: Any) -> dict[str, Any]:
        return {
            "reach": self.reach,
            "needs_approval": approval_needed(self.campaign, self.reach),
            "can_emergency": rules.may(self.request.user, rules.EMERGENCY),
            "threshold": settings.APPROVAL_THRESHOLD,
            "schedule_text": schedule_text(self.campaign),
            "audience_text": audience_text(self.campaign),
            "test_summary": latest_test_summary(self.campaign),
            "is_scheduled": self.campaign.send_mode != Campaign.SendMode.NOW,
            "content_errors": content_errors(self.campaign.content, self.campaign.channels),
        }

"""Steps 5–7 of the outage form: preview (where an approver also approves or declines), test send, send.

The Send step confirms through the door (campaigns/services/door.py): above the approval threshold the notice waits
for a second person, unless someone with the emergency permission sends it now with a typed reason. It lists every
placeholder that would reach people empty and sends only once they are filled or the gap is accepted (recorded).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from campaigns.forms.sending import ConfirmForm, TestSendForm
from campaigns.models import Campaign
from campaigns.selectors.audit import approval_request
from campaigns.selectors.gaps import campaign_empty_placeholders
from campaigns.selectors.pace import pace_duration, pace_finish
from campaigns.selectors.preview import (
    REASON_LABELS,
    audience_text,
    latest_test_summary,
    recipient_samples,
    recipients_context,
    sample_tabs,
    schedule_text,
    test_language_note,
)
from campaigns.selectors.public_preview import notice_public_preview
from campaigns.selectors.timing import quiet_hold, superseded_label, superseded_recipients
from campaigns.services import approval, door, rules, steps
from campaigns.services.reach import approval_needed, campaign_reach
from campaigns.services.starting import CampaignAlreadySent, CampaignNotReady
from campaigns.views.params import clean_text
from campaigns.views.wizard.base import StepView, draft_counts, step_url
from clients.models import TestRecipient
from notifications.content import content_errors


def message_context(campaign: Campaign) -> dict[str, Any]:
    """What the last steps show of the message: its faults, its empty placeholders, real recipients' messages, and
    the update it adds to the incident's public page."""
    errors = content_errors(campaign.content, campaign.channels) if campaign.content else {"content": "No message yet."}
    languages = dict(settings.LANGUAGES)
    samples = [] if errors else recipient_samples(campaign)
    return {
        "content_errors": errors,
        "gaps": [] if errors else campaign_empty_placeholders(campaign),
        "sample_tabs": sample_tabs(samples, languages),
        "languages": languages,
        "public_preview": notice_public_preview(campaign),
    }


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
        reach = campaign_reach(self.campaign)
        waiting = approval_request(self.campaign)
        problem = rules.approval_problem(self.campaign, self.request.user) if waiting else ""
        return {
            "counts": draft_counts(self.campaign),
            "editable": self.campaign.state == Campaign.State.DRAFT and not self.edit_problem,
            "reach": reach,
            "reason_labels": REASON_LABELS,
            **message_context(self.campaign),
            "schedule_text": schedule_text(self.campaign),
            "audience_text": audience_text(self.campaign),
            "approval_request": waiting,
            "can_approve": waiting is not None and not problem,
            "approval_problem": problem if rules.may(self.request.user, rules.APPROVE) else "",
            "can_emergency": waiting is not None and rules.may(self.request.user, rules.EMERGENCY),
            "test_summary": latest_test_summary(self.campaign),
            **recipients_context(self.campaign, self.request.GET, clean_text(self.request.GET.get("q"))),
        }


class TestStepView(StepView):
    """Choose colleagues and send them the test (the main button), which then opens the Send step where their
    messages' statuses arrive live; skipping the test is the secondary way on."""

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
        messages.success(request, "Test sent to your colleagues; their messages' statuses appear below as they arrive.")
        steps.campaign_step_reach(campaign=self.campaign, step="send")
        return redirect(step_url(self.campaign, "send"))

    def extra_context(self, form: Any) -> dict[str, Any]:
        return {
            "test_summary": latest_test_summary(self.campaign),
            "language_note": test_language_note(self.campaign),
        }


class SendStepView(StepView):
    step = "send"

    def confirm_form(self, data: Any = None) -> ConfirmForm:
        self.reach = campaign_reach(self.campaign)
        self.message = message_context(self.campaign)
        action = "schedule for" if self.campaign.send_mode != Campaign.SendMode.NOW else "send to"
        people = f"{self.reach.recipients} {'person' if self.reach.recipients == 1 else 'people'}"
        label = f"Yes, {action} {people} ({self.reach.messages} messages)"
        return ConfirmForm(data, recipients=self.reach.recipients, label=label, gaps=bool(self.message["gaps"]))

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
            campaign = door.campaign_confirm(
                campaign=self.campaign,
                actor=request.user,
                emergency_reason=emergency,
                empty_accepted=bool(form.cleaned_data.get("accept_empty")),
            )
        except CampaignAlreadySent:
            messages.info(request, "This notice was already sent; nothing was sent twice.")
            return redirect("campaigns:detail", pk=self.campaign.pk)
        except door.EmptyPlaceholders:  # they appeared since the page was shown: list them and ask
            form = self.confirm_form(request.POST)
            form.is_valid()
            return self.render(form)
        except (CampaignNotReady, approval.ReasonRequired) as error:
            form.add_error("emergency_reason" if isinstance(error, approval.ReasonRequired) else None, str(error))
            return self.render(form)
        self._tell(request, campaign)
        return redirect("campaigns:detail", pk=campaign.pk)

    def _tell(self, request: HttpRequest, campaign: Campaign) -> None:
        people = f"{campaign.audience_size} {'person' if campaign.audience_size == 1 else 'people'}"
        if campaign.state == Campaign.State.AWAITING_APPROVAL:
            messages.warning(
                request,
                f"{people} is above the approval threshold ({settings.APPROVAL_THRESHOLD}); the approvers were "
                "told. A person who neither wrote nor edited it must approve it before it goes.",
            )
        elif campaign.emergency_at and campaign.emergency_by_id == request.user.pk:
            messages.warning(request, f"Sent as an emergency to {people}; approvers told.")
        elif campaign.state == Campaign.State.SCHEDULED:
            messages.success(request, f"Scheduled: {schedule_text(campaign)}, to {people}.")
        else:
            messages.success(request, f"Sending to {people}.")

    def extra_context(self, form: Any) -> dict[str, Any]:
        return {
            "reach": self.reach,
            **self.message,
            "needs_approval": approval_needed(self.campaign, self.reach),
            "can_emergency": rules.may(self.request.user, rules.EMERGENCY),
            "threshold": settings.APPROVAL_THRESHOLD,
            "schedule_text": schedule_text(self.campaign),
            "audience_text": audience_text(self.campaign),
            "test_summary": latest_test_summary(self.campaign),
            "is_scheduled": self.campaign.send_mode != Campaign.SendMode.NOW,
            "superseded": superseded_recipients(self.campaign),
            "superseded_label": superseded_label(self.campaign),
            "quiet_hold": quiet_hold(self.campaign, self.campaign.send_at or timezone.now()),
            "quiet_window": settings.QUIET_HOURS.strip(),
            "pace_duration": pace_duration(self.reach.recipients, self.campaign.pace_per_minute),
            "pace_finish": pace_finish(
                self.reach.recipients, self.campaign.pace_per_minute, self.campaign.send_at or timezone.now()
            ),
        }

"""Steps 5–7 of the outage form: preview, test send, send (and a second person's approval)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View

from campaigns.forms.sending import ConfirmForm, TestSendForm
from campaigns.models import Campaign, CampaignSend
from campaigns.services import drafts, sending
from campaigns.views.params import clean_text
from campaigns.views.wizard.base import (
    REASON_LABELS,
    StaffPermissionMixin,
    StepView,
    draft_counts,
    follow_up_note,
    step_url,
)
from clients.models import TestRecipient
from clients.selectors import audience_queryset, exclusion_reason
from notifications.content import content_errors, render_message
from notifications.models import Message

SAMPLES_PER_LANGUAGE = 2
RECIPIENTS_PER_PAGE = 20


def audience_text(campaign: Campaign) -> str:
    """The audience in words: 'SMS clients; buckets Paris region; segment VIPs; 12 listed clients; 2 conditions'."""
    from clients.models import Bucket, BuiltinAudience, Segment

    follow_up = follow_up_note(campaign)
    if follow_up:
        return follow_up
    audience, parts = campaign.audience or {}, []
    labels = dict(BuiltinAudience.choices)
    if audience.get("builtin"):
        parts.append(", ".join(str(labels.get(name, name)) for name in audience["builtin"]))
    if audience.get("buckets"):
        names = Bucket.objects.filter(pk__in=audience["buckets"]).values_list("name", flat=True)
        parts.append("bucket " + ", ".join(names))
    if audience.get("segment"):
        parts.append("segment " + str(Segment.objects.filter(pk=audience["segment"]).first() or audience["segment"]))
    if audience.get("clients"):
        parts.append(f"{len(audience['clients'])} listed clients")
    if audience.get("conditions"):
        parts.append(f"{len(audience['conditions'])} condition(s), match {audience.get('match', 'all')}")
    return "; ".join(parts)


def schedule_text(campaign: Campaign) -> str:
    def local(value):
        value = timezone.localtime(value)
        return f"{value:%a %d %b %Y, %H:%M} ({value.tzname()})"

    if campaign.send_mode == Campaign.SendMode.AT and campaign.send_at:
        return f"At {local(campaign.send_at)}"
    if campaign.send_mode == Campaign.SendMode.REPEAT and campaign.repeat_every_hours:
        start = local(campaign.send_at) if campaign.send_at else "now"
        until = local(campaign.repeat_until) if campaign.repeat_until else "?"
        return f"First {start}, then every {campaign.repeat_every_hours} h until {until}"
    return "Now, as soon as you confirm"


def recipient_samples(campaign: Campaign) -> list[dict]:
    """A few real recipients per language and channel, rendered exactly as the dispatch will render them."""
    kind = sending.campaign_notice_kind(campaign)
    samples = []
    own_languages = [language for language in campaign.content]
    for channel in campaign.channels:
        eligible = (
            audience_queryset(campaign.audience)
            .annotate(reason=exclusion_reason(channel, notice_kind=kind, mandatory=campaign.mandatory))
            .filter(reason="")
        )
        groups = [(language, eligible.filter(language=language)) for language in own_languages]
        groups.append((None, eligible.exclude(language__in=own_languages)))
        for language, queryset in groups:
            for client in queryset.order_by("pk")[:SAMPLES_PER_LANGUAGE]:
                rendered = render_message(
                    content=campaign.content,
                    language=client.language,
                    fallback_language=campaign.fallback_language,
                    channel=channel,
                    recipient=client,
                    variables=campaign.variables,
                    sms_stop_line=campaign.sms_stop_line,
                )
                samples.append(
                    {
                        "channel": channel,
                        "client": client,
                        "rendered": rendered,
                        "group": language or f"other languages → {campaign.fallback_language}",
                    }
                )
    return samples


def recipients_context(campaign: Campaign, params) -> dict:
    """The first recipients the audience matches, searchable and paginated, and why any channel excludes them."""
    kind = sending.campaign_notice_kind(campaign)
    reasons = {
        f"reason_{channel}": exclusion_reason(channel, notice_kind=kind, mandatory=campaign.mandatory)
        for channel in campaign.channels
    }
    queryset = audience_queryset(campaign.audience).annotate(**reasons).order_by("name", "pk")
    search = clean_text(params.get("q"))
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search)
            | Q(account__icontains=search)
            | Q(external_ref__icontains=search)
            | Q(email__icontains=search)
            | Q(phone__icontains=search)
        )
    page = Paginator(queryset, RECIPIENTS_PER_PAGE).get_page(params.get("page"))
    rows = [
        {
            "client": client,
            "channels": [
                (channel, REASON_LABELS.get(getattr(client, f"reason_{channel}"), "")) for channel in campaign.channels
            ],
        }
        for client in page.object_list
    ]
    return {"campaign": campaign, "page": page, "rows": rows, "search": search}


class PreviewStepView(StepView):
    step = "preview"
    allow_when_awaiting_approval = True

    def has_permission(self) -> bool:
        user = self.request.user
        return user.has_perm("campaigns.add_campaign") or user.has_perm("campaigns.approve_campaign")

    def post(self, request, pk):
        if self.campaign.state != Campaign.State.DRAFT or not request.user.has_perm("campaigns.add_campaign"):
            raise PermissionDenied
        return super().post(request, pk)

    def extra_context(self, form) -> dict:
        errors = (
            content_errors(self.campaign.content, self.campaign.channels)
            if self.campaign.content
            else {"content": "No message yet."}
        )
        reach = sending.campaign_reach(self.campaign)
        user = self.request.user
        return {
            "counts": draft_counts(self.campaign),
            "editable": self.campaign.state == Campaign.State.DRAFT,
            "reach": reach,
            "reason_labels": REASON_LABELS,
            "content_errors": errors,
            "empty_variables": [
                drafts.SHARED_VARIABLE_LABELS[name] for name in drafts.campaign_empty_variables(self.campaign)
            ],
            "samples": [] if errors else recipient_samples(self.campaign),
            "schedule_text": schedule_text(self.campaign),
            "audience_text": audience_text(self.campaign),
            "languages": dict(settings.LANGUAGES),
            "can_approve": self.campaign.state == Campaign.State.AWAITING_APPROVAL
            and user.has_perm("campaigns.approve_campaign")
            and user.pk not in (self.campaign.created_by_id, self.campaign.sent_by_id),
            "test_summary": latest_test_summary(self.campaign),
            **recipients_context(self.campaign, self.request.GET),
        }


def latest_test_summary(campaign: Campaign) -> dict | None:
    link = CampaignSend.objects.filter(campaign=campaign, role=CampaignSend.Role.TEST).order_by("-id").first()
    if link is None:
        return None
    rows = list(Message.objects.filter(send_id=link.send_id).select_related("test_recipient").order_by("id"))
    return {
        "send": link.send,
        "messages": rows,
        "delivered": sum(m.state == Message.State.DELIVERED for m in rows),
        "failed": sum(m.is_final and m.state != Message.State.DELIVERED for m in rows),
        "pending": sum(not m.is_final for m in rows),
        "total": len(rows),
    }


class TestStepView(StepView):
    __test__ = False  # not a pytest test class
    step = "test"

    def get_form(self, data=None, files=None):
        return TestSendForm(
            data,
            initial={
                "test_recipients": list(TestRecipient.objects.filter(is_active=True).values_list("pk", flat=True)[:3])
            },
        )

    def post(self, request, pk):
        if "_send_test" not in request.POST:
            drafts.campaign_step_reach(campaign=self.campaign, step="send")
            if "_back" in request.POST:
                return redirect(step_url(self.campaign, "preview"))
            return redirect(step_url(self.campaign, "send"))
        if not request.user.has_perm("campaigns.test_send_campaign"):
            raise PermissionDenied
        form = self.get_form(request.POST)
        if not form.is_valid():
            return self.render(form)
        try:
            sending.campaign_test_send(
                campaign=self.campaign,
                actor=request.user,
                test_recipient_ids=[r.pk for r in form.cleaned_data["test_recipients"]],
            )
        except sending.CampaignNotReady as error:
            form.add_error(None, str(error))
            return self.render(form)
        messages.success(request, "Test sent. Delivery statuses appear below as they arrive.")
        return redirect(step_url(self.campaign, self.step))

    def extra_context(self, form) -> dict:
        return {"test_summary": latest_test_summary(self.campaign)}


class SendStepView(StepView):
    step = "send"

    def confirm_form(self, data=None) -> ConfirmForm:
        self.reach = sending.campaign_reach(self.campaign)
        action = "Schedule for" if self.campaign.send_mode != Campaign.SendMode.NOW else "Send to"
        label = f"Yes, {action.lower()} {self.reach.recipients} recipients ({self.reach.messages} messages)"
        return ConfirmForm(data, recipients=self.reach.recipients, label=label)

    def get_form(self, data=None, files=None):
        return self.confirm_form(data)

    def post(self, request, pk):
        if "_back" in request.POST:
            return redirect(step_url(self.campaign, "test"))
        if not request.user.has_perm("campaigns.send_campaign"):
            raise PermissionDenied
        form = self.confirm_form(request.POST)
        if not form.is_valid():
            return self.render(form)
        try:
            campaign = sending.campaign_confirm(campaign=self.campaign, actor=request.user)
        except sending.CampaignAlreadySent:
            messages.info(request, "This notice was already sent; nothing was sent twice.")
            return redirect("campaigns:detail", pk=self.campaign.pk)
        except sending.CampaignNotReady as error:
            form.add_error(None, str(error))
            return self.render(form)
        if campaign.state == Campaign.State.AWAITING_APPROVAL:
            messages.warning(
                request,
                f"{campaign.audience_size} recipients is above the approval threshold "
                f"({settings.APPROVAL_THRESHOLD}); a second person with the approve "
                "permission must approve it from the preview page.",
            )
        elif campaign.state == Campaign.State.SCHEDULED:
            messages.success(request, f"Scheduled: {schedule_text(campaign)}, to {campaign.audience_size} recipients.")
        else:
            messages.success(request, f"Sending to {campaign.audience_size} recipients.")
        return redirect("campaigns:detail", pk=campaign.pk)

    def extra_context(self, form) -> dict:
        return {
            "reach": self.reach,
            "needs_approval": sending.campaign_needs_approval(self.campaign, self.reach),
            "threshold": settings.APPROVAL_THRESHOLD,
            "schedule_text": schedule_text(self.campaign),
            "audience_text": audience_text(self.campaign),
            "test_summary": latest_test_summary(self.campaign),
            "is_scheduled": self.campaign.send_mode != Campaign.SendMode.NOW,
            "content_errors": content_errors(self.campaign.content, self.campaign.channels),
        }


class ApproveView(StaffPermissionMixin, View):
    """A second person approves a notice above the threshold; it then goes out (or is scheduled)."""

    permission_required = "campaigns.approve_campaign"

    def post(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        try:
            campaign = sending.campaign_approve(campaign=campaign, actor=request.user)
        except sending.ApprovalNotAllowed as error:
            messages.error(request, str(error))
            return redirect(step_url(campaign, "preview"))
        except sending.CampaignAlreadySent as error:
            messages.info(request, str(error))
        except sending.CampaignNotReady as error:
            messages.error(request, str(error))
            return redirect(step_url(campaign, "preview"))
        else:
            messages.success(
                request, f"Approved: {campaign.get_state_display()} to {campaign.audience_size} recipients."
            )
        return redirect("campaigns:detail", pk=campaign.pk)

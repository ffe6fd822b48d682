"""The outage form: one plain view per step, bound to a draft Campaign saved in the database from the first step.

Each step reads its form, calls one draft service, and redirects (Save and continue, Back, or straight back to the
preview). A step the author has not reached yet redirects to the furthest one reached, so steps cannot be skipped;
a notice that has left the draft state sends every step to its campaign page. Live parts (audience counts, the
preview's recipient search, test delivery statuses) are small htmx partials; every form also works without
JavaScript.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.views import View

from campaigns.forms.audience import AudienceForm, field_suggestions
from campaigns.forms.incident import IncidentForm
from campaigns.forms.message import EDITABLE_VARIABLES, MessageForm, message_languages
from campaigns.forms.schedule import WhenForm
from campaigns.forms.sending import ConfirmForm, TestSendForm
from campaigns.models import Campaign, CampaignSend
from campaigns.services import drafts, sending
from clients.models import TestRecipient
from clients.selectors import audience_counts, audience_queryset, exclusion_reason
from notifications.content import content_errors, render_message
from notifications.models import Message
from notifications.rendering import VARIABLES, sms_count

SESSION_TZ = "wizard_tz"
SAMPLES_PER_LANGUAGE = 2
RECIPIENTS_PER_PAGE = 20
REASON_LABELS = dict(Message.SkipReason.choices)


def _activate_zone(request: HttpRequest) -> None:
    """Times are entered and shown in the author's zone: the browser tells it (hidden ``tz`` field), else the default."""
    name = request.POST.get("tz") or request.session.get(SESSION_TZ) or settings.TIME_ZONE
    try:
        zone = zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        name = settings.TIME_ZONE
    if request.session.get(SESSION_TZ) != name:
        request.session[SESSION_TZ] = name
    timezone.activate(zone)


class StaffPermissionMixin(PermissionRequiredMixin):
    """Anonymous visitors go to the login page; signed-in staff without the permission get 403."""

    permission_required = "campaigns.add_campaign"

    def handle_no_permission(self):
        if not self.request.user.is_authenticated:
            return redirect_to_login(self.request.get_full_path())
        raise PermissionDenied


def _step_url(campaign: Campaign, step: str) -> str:
    return reverse("campaigns:wizard", args=[campaign.pk, step])


def _steps_nav(campaign: Campaign, current: str) -> list[dict]:
    reached = drafts.step_index(campaign.wizard_step)
    return [{"name": step, "title": drafts.STEP_TITLES[step], "number": index + 1,
             "url": _step_url(campaign, step), "reachable": index <= reached, "current": step == current}
            for index, step in enumerate(drafts.STEPS)]


def _counts(campaign: Campaign):
    if not campaign.audience or not campaign.channels:
        return None
    return audience_counts(campaign.audience, campaign.channels, notice_kind=sending.campaign_notice_kind(campaign),
                           mandatory=campaign.mandatory)


def _follow_up_note(campaign: Campaign) -> str:
    if campaign.parent_id is None:
        return ""
    size = len(campaign.audience.get("clients") or [])
    return f"Same recipients as “{campaign.parent.title}” ({size} clients)"


class NewNoticeView(StaffPermissionMixin, View):
    """Step 1 for a new notice: the incident form; saving it creates the incident and the draft."""

    def dispatch(self, request, *args, **kwargs):
        _activate_zone(request)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        form = IncidentForm(initial={"started_at": timezone.now().replace(second=0, microsecond=0)})
        return self._render(request, form)

    def post(self, request):
        form = IncidentForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        fields = form.incident_fields()
        campaign = drafts.campaign_draft_create(incident_fields=fields, kind=fields["kind"], title=fields["title"],
                                                created_by=request.user, source="web")
        return redirect(_step_url(campaign, "audience"))

    def _render(self, request, form):
        steps = [{"name": s, "title": drafts.STEP_TITLES[s], "number": i + 1, "url": "", "reachable": False,
                  "current": s == "incident"} for i, s in enumerate(drafts.STEPS)]
        return render(request, "campaigns/wizard/incident.html", {"form": form, "steps": steps, "step": "incident",
                                                                  "campaign": None})


class StepView(StaffPermissionMixin, View):
    """One step of an existing draft: pre-conditions, the form, and where each button goes."""

    step = ""
    allow_when_awaiting_approval = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        _activate_zone(request)
        self.campaign = get_object_or_404(Campaign.objects.select_related("incident", "parent"), pk=kwargs["pk"])
        if not self.has_permission():
            return self.handle_no_permission()
        if self.campaign.state != Campaign.State.DRAFT and not (
                self.allow_when_awaiting_approval and self.campaign.state == Campaign.State.AWAITING_APPROVAL):
            messages.info(request, f"This notice is already {self.campaign.get_state_display()}; "
                                   "nothing was sent twice. Here is its page.")
            return redirect("campaigns:detail", pk=self.campaign.pk)
        if drafts.step_index(self.step) > drafts.step_index(self.campaign.wizard_step):
            return redirect(_step_url(self.campaign, self.campaign.wizard_step))
        return View.dispatch(self, request, *args, **kwargs)

    # Hooks --------------------------------------------------------------------------------------------------------
    def get_form(self, data=None, files=None):
        return None

    def save(self, form) -> None:
        """Save a valid form through the draft services."""

    def keep(self, form) -> None:
        """Keep what can be kept of an invalid form before leaving the step (Back)."""

    def extra_context(self, form) -> dict:
        return {}

    # Flow ---------------------------------------------------------------------------------------------------------
    def next_step(self) -> str:
        return drafts.STEPS[drafts.step_index(self.step) + 1]

    def previous_step(self) -> str:
        return drafts.STEPS[max(drafts.step_index(self.step) - 1, 0)]

    def get(self, request, pk):
        return self.render(self.get_form())

    def post(self, request, pk):
        form = self.get_form(request.POST, request.FILES)
        going_back = "_back" in request.POST
        if form is None or form.is_valid():
            if form is not None:
                self.save(form)
            self.campaign.refresh_from_db()
            if going_back:
                return redirect(_step_url(self.campaign, self.previous_step()))
            if "_preview" in request.POST and drafts.step_index(self.campaign.wizard_step) >= drafts.step_index(
                    "preview"):
                return redirect(_step_url(self.campaign, "preview"))
            drafts.campaign_step_reach(campaign=self.campaign, step=self.next_step())
            return redirect(_step_url(self.campaign, self.next_step()))
        self.keep(form)
        if going_back:
            messages.warning(request, "Some fields on that step were not valid and were not saved.")
            return redirect(_step_url(self.campaign, self.previous_step()))
        return self.render(form, status=200)

    def render(self, form, status: int = 200) -> HttpResponse:
        context = {
            "campaign": self.campaign,
            "form": form,
            "step": self.step,
            "steps": _steps_nav(self.campaign, self.step),
            "can_return_to_preview": drafts.step_index(self.campaign.wizard_step) >= drafts.step_index("preview")
            and drafts.step_index(self.step) < drafts.step_index("preview"),
            **self.extra_context(form),
        }
        return render(self.request, f"campaigns/wizard/{self.step}.html", context, status=status)


class IncidentStepView(StepView):
    step = "incident"

    def get_form(self, data=None, files=None):
        return IncidentForm(data, initial=IncidentForm.initial_for(self.campaign.incident))

    def save(self, form) -> None:
        drafts.campaign_incident_update(campaign=self.campaign, fields=form.incident_fields(),
                                        actor=self.request.user)


class AudienceStepView(StepView):
    step = "audience"

    def get_form(self, data=None, files=None):
        if data is None:
            return AudienceForm(campaign=self.campaign, initial=AudienceForm.initial_for(self.campaign))
        return AudienceForm(data, files, campaign=self.campaign)

    def save(self, form) -> None:
        drafts.campaign_audience_update(campaign=self.campaign, audience=form.cleaned_data["definition"],
                                        channels=list(form.cleaned_data["channels"]),
                                        mandatory=form.cleaned_data.get("mandatory", False))
        if form.csv_unmatched:
            shown = ", ".join(form.csv_unmatched[:20])
            more = f" and {len(form.csv_unmatched) - 20} more" if len(form.csv_unmatched) > 20 else ""
            messages.warning(self.request, f"{len(form.csv_unmatched)} row(s) of the list match no client and were "
                                           f"left out: {shown}{more}.")

    def post(self, request, pk):
        if "_upload" not in request.POST:
            return super().post(request, pk)
        form = self.get_form(request.POST, request.FILES)
        form.is_valid()
        if "definition" not in form.cleaned_data or form.has_error("csv_file"):
            return self.render(form)
        drafts.campaign_audience_update(campaign=self.campaign, audience=form.cleaned_data["definition"],
                                        channels=list(form.cleaned_data.get("channels") or self.campaign.channels),
                                        mandatory=form.cleaned_data.get("mandatory", False))
        self.campaign.refresh_from_db()
        fresh = self.get_form()
        fresh.csv_unmatched = form.csv_unmatched
        return self.render(fresh)

    def extra_context(self, form) -> dict:
        counts = form.counts if form.is_bound else _counts(self.campaign)
        return {"counts": counts, "reason_labels": REASON_LABELS, "follow_up_note": _follow_up_note(self.campaign),
                "field_suggestions": field_suggestions(),
                "csv_client_count": len(self.campaign.audience.get("clients") or [])}


class MessageStepView(StepView):
    step = "message"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self._audience_counts = None

    def counts(self):
        if self._audience_counts is None:
            self._audience_counts = _counts(self.campaign)
        return self._audience_counts

    def languages(self) -> list[str]:
        counts = self.counts()
        used = set()
        if counts:
            for channel_counts in counts.per_channel.values():
                used |= set(channel_counts.per_language)
        return message_languages(self.campaign, used)

    def get_form(self, data=None, files=None):
        languages = self.languages()
        return MessageForm(data, campaign=self.campaign, languages=languages,
                           initial=MessageForm.initial_for(self.campaign, languages))

    def post(self, request, pk):
        if "_load_template" in request.POST:
            form = self.get_form(request.POST)
            template = form.fields["template"].clean(request.POST.get("template") or None)
            if template is None:
                messages.warning(request, "Choose a template to start from.")
            else:
                drafts.campaign_template_apply(campaign=self.campaign, template=template)
                messages.success(request, f"The text of “{template.name}” was filled in; edit it freely — the "
                                          "saved template does not change.")
            return redirect(_step_url(self.campaign, self.step))
        return super().post(request, pk)

    def save(self, form) -> None:
        data = form.cleaned_data
        drafts.campaign_message_update(
            campaign=self.campaign, content=data["content"], fallback_language=data["fallback_language"],
            variables=data["variables"], sms_stop_line=data["sms_stop_line"], template=data.get("template"),
            save_as_template=data["template_name"].strip() if data.get("save_as_template") else "",
            actor=self.request.user)

    def keep(self, form) -> None:
        drafts.campaign_content_keep(campaign=self.campaign, content=form.raw_content(),
                                     variables=form.raw_variables())

    def extra_context(self, form) -> dict:
        counts = self.counts()
        names = dict(settings.LANGUAGES)
        tabs = []
        for language in form.languages:
            per_channel = {channel: (counts.per_channel[channel].per_language.get(language, 0) if counts else 0)
                           for channel in form.channels}
            sms_text = form._raw(f"{language}_sms_text")
            count = sms_count(sms_text)
            tabs.append({
                "code": language, "name": names.get(language, language), "per_channel": per_channel,
                "recipients": max(per_channel.values(), default=0), "fields": form.language_fields(language),
                "has_errors": any(form.has_error(bf.name) for bfs in form.language_fields(language).values()
                                  for bf in bfs) if form.is_bound else False,
                "sms": count, "sms_estimate": count.parts * per_channel.get("sms", 0),
            })
        return {"tabs": tabs, "variables": VARIABLES,
                "variable_fields": [form[f"var_{name}"] for name in EDITABLE_VARIABLES]}


class WhenStepView(StepView):
    step = "when"

    def get_form(self, data=None, files=None):
        return WhenForm(data, initial=WhenForm.initial_for(self.campaign))

    def save(self, form) -> None:
        data = form.cleaned_data
        drafts.campaign_schedule_update(campaign=self.campaign, send_mode=data["send_mode"],
                                        send_at=data.get("send_at"),
                                        repeat_every_hours=data.get("repeat_every_hours"),
                                        repeat_until=data.get("repeat_until"))

    def extra_context(self, form) -> dict:
        return {"zone": timezone.get_current_timezone_name()}


def _audience_text(campaign: Campaign) -> str:
    """The audience in words: 'SMS clients; buckets Paris region; segment VIPs; 12 listed clients; 2 conditions'."""
    from clients.models import Bucket, BuiltinAudience, Segment

    follow_up = _follow_up_note(campaign)
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


def _schedule_text(campaign: Campaign) -> str:
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


def _samples(campaign: Campaign) -> list[dict]:
    """A few real recipients per language and channel, rendered exactly as the dispatch will render them."""
    kind = sending.campaign_notice_kind(campaign)
    samples = []
    own_languages = [language for language in campaign.content]
    for channel in campaign.channels:
        eligible = audience_queryset(campaign.audience).annotate(
            reason=exclusion_reason(channel, notice_kind=kind, mandatory=campaign.mandatory)).filter(reason="")
        groups = [(language, eligible.filter(language=language)) for language in own_languages]
        groups.append((None, eligible.exclude(language__in=own_languages)))
        for language, queryset in groups:
            for client in queryset.order_by("pk")[:SAMPLES_PER_LANGUAGE]:
                rendered = render_message(content=campaign.content, language=client.language,
                                          fallback_language=campaign.fallback_language, channel=channel,
                                          recipient=client, variables=campaign.variables,
                                          sms_stop_line=campaign.sms_stop_line)
                samples.append({"channel": channel, "client": client, "rendered": rendered,
                                "group": language or f"other languages → {campaign.fallback_language}"})
    return samples


def _recipients_context(campaign: Campaign, params) -> dict:
    """The first recipients the audience matches, searchable and paginated, and why any channel excludes them."""
    kind = sending.campaign_notice_kind(campaign)
    reasons = {f"reason_{channel}": exclusion_reason(channel, notice_kind=kind, mandatory=campaign.mandatory)
               for channel in campaign.channels}
    queryset = audience_queryset(campaign.audience).annotate(**reasons).order_by("name", "pk")
    search = (params.get("q") or "").strip()
    if search:
        queryset = queryset.filter(Q(name__icontains=search) | Q(account__icontains=search)
                                   | Q(external_ref__icontains=search) | Q(email__icontains=search)
                                   | Q(phone__icontains=search))
    page = Paginator(queryset, RECIPIENTS_PER_PAGE).get_page(params.get("page"))
    rows = [{"client": client,
             "channels": [(channel, REASON_LABELS.get(getattr(client, f"reason_{channel}"), ""))
                          for channel in campaign.channels]} for client in page.object_list]
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
        errors = content_errors(self.campaign.content, self.campaign.channels) if self.campaign.content else {
            "content": "No message yet."}
        reach = sending.campaign_reach(self.campaign)
        user = self.request.user
        return {
            "counts": _counts(self.campaign),
            "editable": self.campaign.state == Campaign.State.DRAFT,
            "reach": reach,
            "reason_labels": REASON_LABELS,
            "content_errors": errors,
            "empty_variables": [drafts.SHARED_VARIABLE_LABELS[name]
                                for name in drafts.campaign_empty_variables(self.campaign)],
            "samples": [] if errors else _samples(self.campaign),
            "schedule_text": _schedule_text(self.campaign),
            "audience_text": _audience_text(self.campaign),
            "languages": dict(settings.LANGUAGES),
            "can_approve": self.campaign.state == Campaign.State.AWAITING_APPROVAL
            and user.has_perm("campaigns.approve_campaign")
            and user.pk not in (self.campaign.created_by_id, self.campaign.sent_by_id),
            "test_summary": _test_summary(self.campaign),
            **_recipients_context(self.campaign, self.request.GET),
        }


def _test_summary(campaign: Campaign) -> dict | None:
    link = CampaignSend.objects.filter(campaign=campaign, role=CampaignSend.Role.TEST).order_by("-id").first()
    if link is None:
        return None
    rows = list(Message.objects.filter(send_id=link.send_id).select_related("test_recipient").order_by("id"))
    return {"send": link.send, "messages": rows, "delivered": sum(m.state == Message.State.DELIVERED for m in rows),
            "failed": sum(m.is_final and m.state != Message.State.DELIVERED for m in rows),
            "pending": sum(not m.is_final for m in rows), "total": len(rows)}


class TestStepView(StepView):
    __test__ = False  # not a pytest test class
    step = "test"

    def get_form(self, data=None, files=None):
        return TestSendForm(data, initial={"test_recipients": list(
            TestRecipient.objects.filter(is_active=True).values_list("pk", flat=True)[:3])})

    def post(self, request, pk):
        if "_send_test" not in request.POST:
            drafts.campaign_step_reach(campaign=self.campaign, step="send")
            if "_back" in request.POST:
                return redirect(_step_url(self.campaign, "preview"))
            return redirect(_step_url(self.campaign, "send"))
        if not request.user.has_perm("campaigns.test_send_campaign"):
            raise PermissionDenied
        form = self.get_form(request.POST)
        if not form.is_valid():
            return self.render(form)
        try:
            sending.campaign_test_send(campaign=self.campaign, actor=request.user,
                                       test_recipient_ids=[r.pk for r in form.cleaned_data["test_recipients"]])
        except sending.CampaignNotReady as error:
            form.add_error(None, str(error))
            return self.render(form)
        messages.success(request, "Test sent. Delivery statuses appear below as they arrive.")
        return redirect(_step_url(self.campaign, self.step))

    def extra_context(self, form) -> dict:
        return {"test_summary": _test_summary(self.campaign)}


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
            return redirect(_step_url(self.campaign, "test"))
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
            messages.warning(request, f"{campaign.audience_size} recipients is above the approval threshold "
                                      f"({settings.APPROVAL_THRESHOLD}); a second person with the approve "
                                      "permission must approve it from the preview page.")
        elif campaign.state == Campaign.State.SCHEDULED:
            messages.success(request, f"Scheduled: {_schedule_text(campaign)}, to {campaign.audience_size} recipients.")
        else:
            messages.success(request, f"Sending to {campaign.audience_size} recipients.")
        return redirect("campaigns:detail", pk=campaign.pk)

    def extra_context(self, form) -> dict:
        return {
            "reach": self.reach,
            "needs_approval": sending.campaign_needs_approval(self.campaign, self.reach),
            "threshold": settings.APPROVAL_THRESHOLD,
            "schedule_text": _schedule_text(self.campaign),
            "audience_text": _audience_text(self.campaign),
            "test_summary": _test_summary(self.campaign),
            "is_scheduled": self.campaign.send_mode != Campaign.SendMode.NOW,
            "content_errors": content_errors(self.campaign.content, self.campaign.channels),
        }


STEP_VIEWS = {
    "incident": IncidentStepView,
    "audience": AudienceStepView,
    "message": MessageStepView,
    "when": WhenStepView,
    "preview": PreviewStepView,
    "test": TestStepView,
    "send": SendStepView,
}
_STEP_CALLABLES = {step: view.as_view() for step, view in STEP_VIEWS.items()}


def wizard_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    return _STEP_CALLABLES[step](request, pk=pk)


# Partials (htmx) ---------------------------------------------------------------------------------------------------

class AudienceCountsView(StaffPermissionMixin, View):
    """The live counts beside the audience form, computed from the form as it stands (nothing is saved)."""

    def post(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        form = AudienceForm(request.POST, campaign=campaign)
        form.is_valid()
        return render(request, "campaigns/wizard/_counts.html",
                      {"counts": form.counts, "reason_labels": REASON_LABELS, "form": form, "live": True})


class PreviewRecipientsView(StaffPermissionMixin, View):
    """The first recipients the audience matches, searchable and paginated, with why any channel is excluded."""

    def has_permission(self) -> bool:
        user = self.request.user
        return user.has_perm("campaigns.add_campaign") or user.has_perm("campaigns.approve_campaign")

    def get(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        return render(request, "campaigns/wizard/_recipients.html", _recipients_context(campaign, request.GET))


class TestStatusView(StaffPermissionMixin, View):
    """The latest test send's delivery statuses; the partial keeps polling until every message is final."""

    __test__ = False

    def get(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        return render(request, "campaigns/wizard/_test_status.html",
                      {"campaign": campaign, "test_summary": _test_summary(campaign)})


class ApproveView(StaffPermissionMixin, View):
    """A second person approves a notice above the threshold; it then goes out (or is scheduled)."""

    permission_required = "campaigns.approve_campaign"

    def post(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        try:
            campaign = sending.campaign_approve(campaign=campaign, actor=request.user)
        except sending.ApprovalNotAllowed as error:
            messages.error(request, str(error))
            return redirect(_step_url(campaign, "preview"))
        except sending.CampaignAlreadySent as error:
            messages.info(request, str(error))
        except sending.CampaignNotReady as error:
            messages.error(request, str(error))
            return redirect(_step_url(campaign, "preview"))
        else:
            messages.success(request, f"Approved: {campaign.get_state_display()} to {campaign.audience_size} "
                                      "recipients.")
        return redirect("campaigns:detail", pk=campaign.pk)


_STEP_PATTERN = "|".join(drafts.STEPS)
urlpatterns = [
    path("new/", NewNoticeView.as_view(), name="new"),
    re_path(rf"^(?P<pk>\d+)/wizard/(?P<step>{_STEP_PATTERN})/$", wizard_step, name="wizard"),
    path("<int:pk>/wizard/counts/", AudienceCountsView.as_view(), name="wizard_counts"),
    path("<int:pk>/wizard/recipients/", PreviewRecipientsView.as_view(), name="wizard_recipients"),
    path("<int:pk>/wizard/test-status/", TestStatusView.as_view(), name="wizard_test_status"),
    path("<int:pk>/approve/", ApproveView.as_view(), name="approve"),
]

"""Steps 1–4 of the outage form: what broke, who hears about it, the message, and when."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from campaigns.forms.audience import AudienceForm, field_suggestions, suggested_builtin
from campaigns.forms.incident import IncidentForm
from campaigns.forms.message import EDITABLE_VARIABLES, MessageForm, message_languages
from campaigns.forms.schedule import WhenForm
from campaigns.models import Campaign
from campaigns.selectors.failover import campaign_chain_reach
from campaigns.selectors.maintenance import is_maintenance_notice
from campaigns.selectors.preview import REASON_LABELS, follow_up_note
from campaigns.services import drafts, questions
from campaigns.services.failover import campaign_failover_update
from campaigns.services.variables import template_content
from campaigns.views.wizard.base import StepView, draft_counts, step_url
from clients.selectors import AudienceCounts
from notifications.content import incident_link_example, sms_count_as_typed
from notifications.rendering import VARIABLES


class IncidentStepView(StepView):
    step = "incident"

    def get_form(self, data: Any = None, files: Any = None) -> IncidentForm:
        return IncidentForm(data, initial=IncidentForm.initial_for(self.campaign.incident))

    def save(self, form: Any) -> None:
        kind, template = self.campaign.kind, self.campaign.template
        campaign = drafts.campaign_incident_update(
            campaign=self.campaign, fields=form.incident_fields(), actor=self.request.user
        )
        if campaign.kind != kind and campaign.template is not None and campaign.template != template:
            messages.info(self.request, f"The text of “{campaign.template.name}” for this kind of notice is filled in.")
        elif campaign.kind != kind and campaign.content and campaign.template == template:
            messages.info(
                self.request, "The message text was kept as it was; another template can be chosen at the Message step."
            )


class AudienceStepView(StepView):
    step = "audience"

    def get_form(self, data: Any = None, files: Any = None) -> AudienceForm:
        if data is None:
            return AudienceForm(campaign=self.campaign, initial=AudienceForm.initial_for(self.campaign))
        return AudienceForm(data, files, campaign=self.campaign)

    def save(self, form: Any) -> None:
        campaign_failover_update(
            campaign=self.campaign,
            failover=form.cleaned_data.get("failover") or [],
            wait_minutes=form.cleaned_data.get("failover_wait_minutes"),
            actor=self.request.user,
        )
        drafts.campaign_audience_update(
            campaign=self.campaign,
            audience=form.cleaned_data["definition"],
            channels=list(form.cleaned_data["channels"]),
            mandatory=form.cleaned_data.get("mandatory", False),
            actor=self.request.user,
        )
        if form.csv_unmatched:
            shown = ", ".join(form.csv_unmatched[:20])
            more = f" and {len(form.csv_unmatched) - 20} more" if len(form.csv_unmatched) > 20 else ""
            messages.warning(
                self.request,
                f"{len(form.csv_unmatched)} row(s) of the list match no client and were left out: {shown}{more}.",
            )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if "_upload" not in request.POST:
            return super().post(request, pk)
        form = self.get_form(request.POST, request.FILES)
        form.is_valid()
        if "definition" not in form.cleaned_data or form.has_error("csv_file"):
            return self.render(form)
        drafts.campaign_audience_update(
            campaign=self.campaign,
            audience=form.cleaned_data["definition"],
            channels=list(form.cleaned_data.get("channels") or self.campaign.channels),
            mandatory=form.cleaned_data.get("mandatory", False),
            actor=self.request.user,
        )
        self.campaign.refresh_from_db()
        fresh = self.get_form()
        fresh.csv_unmatched = form.csv_unmatched
        return self.render(fresh)

    def extra_context(self, form: Any) -> dict[str, Any]:
        counts = form.counts if form.is_bound else draft_counts(self.campaign) or form.initial_counts()
        return {
            "counts": counts,
            "chain": form.chain if form.is_bound else campaign_chain_reach(self.campaign),
            "reason_labels": REASON_LABELS,
            "follow_up_note": follow_up_note(self.campaign),
            "field_suggestions": field_suggestions(),
            "suggested": suggested_builtin(self.campaign.incident.services)
            if not self.campaign.audience and self.campaign.parent_id is None
            else [],
            "csv_client_count": len(self.campaign.audience.get("clients") or []),
        }


def template_state(campaign: Campaign) -> dict[str, Any]:
    """Whether the text differs from the template it came from (choosing another asks first), and where it came from."""
    template = campaign.template
    from_template = template is not None and campaign.content == template_content(template)
    note = ""
    if from_template and template is not None:
        note = f"The text of the template “{template.name}” ({template.get_kind_display()}) is filled in below."
    elif not campaign.content:
        note = f"No template is set for {campaign.get_kind_display().lower()} notices: choose one, or write the text."
    return {"text_edited": bool(campaign.content) and not from_template, "kind_template_note": note}


class MessageStepView(StepView):
    step = "message"

    def setup(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().setup(request, *args, **kwargs)
        self._audience_counts: AudienceCounts | None = None

    def counts(self) -> AudienceCounts | None:
        if self._audience_counts is None:
            self._audience_counts = draft_counts(self.campaign)
        return self._audience_counts

    def languages(self) -> list[str]:
        counts = self.counts()
        used: set[str] = set()
        if counts:
            for channel_counts in counts.per_channel.values():
                used |= set(channel_counts.per_language)
        return message_languages(self.campaign, used)

    def get_form(self, data: Any = None, files: Any = None) -> MessageForm:
        languages = self.languages()
        return MessageForm(
            data, campaign=self.campaign, languages=languages, initial=MessageForm.initial_for(self.campaign, languages)
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if "_load_template" in request.POST:
            form = self.get_form(request.POST)
            template = form.fields["template"].clean(request.POST.get("template") or None)
            if template is None:
                messages.warning(request, "Choose a template to start from.")
            else:
                drafts.campaign_template_apply(campaign=self.campaign, template=template, actor=request.user)
                messages.success(
                    request,
                    f"The text of “{template.name}” was filled in; edit it freely — the "
                    "saved template does not change.",
                )
            return redirect(step_url(self.campaign, self.step))
        return super().post(request, pk)

    def save(self, form: Any) -> None:
        data = form.cleaned_data
        drafts.campaign_message_update(
            campaign=self.campaign,
            content=data["content"],
            fallback_language=data["fallback_language"],
            variables=data["variables"],
            sms_stop_line=data["sms_stop_line"],
            template=data.get("template"),
            save_as_template=data["new_template_name"].strip() if data.get("save_as_template") else "",
            public_text=data["public_text"],
            is_public=data["is_public"],
            actor=self.request.user,
        )
        questions.campaign_question_set(
            campaign=self.campaign,
            question=data["reply_question"],
            options=data["reply_options"],
            actor=self.request.user,
        )

    def keep(self, form: Any) -> None:
        drafts.campaign_content_keep(
            campaign=self.campaign,
            content=form.raw_content(),
            variables=form.raw_variables(),
            public_text=form.raw_public_text(),
            actor=self.request.user,
        )

    def extra_context(self, form: Any) -> dict[str, Any]:
        counts = self.counts()
        names = dict(settings.LANGUAGES)
        tabs = []
        for language in form.languages:
            per_channel = {
                channel: (counts.per_channel[channel].per_language.get(language, 0) if counts else 0)
                for channel in form.channels
            }
            sms_text = form._raw(f"{language}_sms_text")
            count = sms_count_as_typed(sms_text)
            tabs.append(
                {
                    "code": language,
                    "name": names.get(language, language),
                    "per_channel": per_channel,
                    "recipients": max(per_channel.values(), default=0),
                    "fields": form.language_fields(language),
                    "public": form.public_field(language),
                    "has_errors": any(
                        form.has_error(bf.name) for bfs in form.language_fields(language).values() for bf in bfs
                    )
                    or form.has_error(form.public_field(language).name)
                    if form.is_bound
                    else False,
                    "sms": count,
                    "sms_estimate": count.parts * per_channel.get("sms", 0),
                }
            )
        return {
            "tabs": tabs,
            "variables": VARIABLES,
            "incident_link_example": incident_link_example(),
            "variable_fields": [form[f"var_{name}"] for name in EDITABLE_VARIABLES],
            **template_state(self.campaign),
        }


class WhenStepView(StepView):
    step = "when"

    def get_form(self, data: Any = None, files: Any = None) -> WhenForm:
        incident = self.campaign.incident if is_maintenance_notice(self.campaign) else None
        return WhenForm(data, initial=WhenForm.initial_for(self.campaign), kind=self.campaign.kind, incident=incident)

    def save(self, form: Any) -> None:
        data = form.cleaned_data
        drafts.campaign_schedule_update(
            campaign=self.campaign,
            send_mode=data["send_mode"],
            send_at=data.get("send_at"),
            repeat_every_hours=data.get("repeat_every_hours"),
            repeat_until=data.get("repeat_until"),
            validity_hours=data.get("validity_hours"),
            pace_per_minute=data.get("pace_per_minute"),
            reminder_offsets=data.get("reminder_offsets"),
            actor=self.request.user,
        )

    def extra_context(self, form: Any) -> dict[str, Any]:
        return {"zone": timezone.get_current_timezone_name()}

"""Step 4, When: now, at a date and time, or every N hours until a time; times in the author's zone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.forms.fields import LocalDateTimeField
from campaigns.forms.maintenance import hours_text, maintenance_offsets
from campaigns.models import Campaign, Incident, IncidentKind
from campaigns.selectors.maintenance import DEFAULT_REMINDER_OFFSETS
from campaigns.selectors.timing import kind_validity_hours
from campaigns.services.steps import step_index

MAX_REPEAT_HOURS = 168
MAX_VALIDITY_HOURS = 168
#: A slower pace than this would leave a worker waiting minutes for each message's slot.
MIN_PACE_PER_MINUTE = 2
MAX_PACE_PER_MINUTE = 100_000


class WhenForm(forms.Form):
    send_mode = forms.ChoiceField(
        label=_("When should it go?"),
        choices=Campaign.SendMode.choices,
        initial=Campaign.SendMode.NOW,
        widget=forms.RadioSelect,
    )
    send_at = LocalDateTimeField(
        label=_("Date and time"), required=False, help_text=_("For reminders: the first one; empty means now.")
    )
    repeat_every_hours = forms.IntegerField(
        label=_("Repeat every (hours)"), required=False, min_value=1, max_value=MAX_REPEAT_HOURS
    )
    repeat_until = LocalDateTimeField(label=_("Until"), required=False)
    validity_hours = forms.IntegerField(
        label=_("Valid for (hours)"),
        required=False,
        min_value=1,
        max_value=MAX_VALIDITY_HOURS,
        help_text=_("Messages not sent this long after sending starts expire and are never sent late."),
    )
    pace_per_minute = forms.IntegerField(
        label=_("At most (messages per minute)"),
        required=False,
        min_value=MIN_PACE_PER_MINUTE,
        max_value=MAX_PACE_PER_MINUTE,
        help_text=_(
            "Per channel, so the support line is not flooded by everyone calling back at once. "
            "Empty: as fast as the provider allows."
        ),
    )

    reminder_hours = forms.CharField(
        label=_("Reminders before the maintenance starts (hours)"),
        required=False,
        max_length=60,
        help_text=_(
            'Hours before the window starts, comma-separated, e.g. "24, 1" (0.5 is half an hour); empty for none. '
            'Each goes to this notice\'s recipients, then "started" and "completed" go at the window\'s start and end.'
        ),
    )

    def __init__(self, *args: Any, kind: str = "", incident: Incident | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.incident = incident if kind == IncidentKind.MAINTENANCE else None
        if self.incident is None:
            del self.fields["reminder_hours"]
        if kind:
            default = kind_validity_hours(kind)
            field = self.fields["validity_hours"]
            field.help_text = _(
                "Messages not sent this long after sending starts expire and are never sent late. "
                "Empty: %(hours)s h, the default for this kind of notice."
            ) % {"hours": default}
            field.widget.attrs["placeholder"] = str(default)

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict:
        offsets = list(campaign.reminder_offsets or [])
        if not offsets and step_index(campaign.wizard_step) <= step_index("when"):  # never chosen: the defaults
            start = campaign.incident.started_at
            offsets = [m for m in DEFAULT_REMINDER_OFFSETS if start - timedelta(minutes=m) > timezone.now()]
        return {
            "reminder_hours": hours_text(offsets),
            "send_mode": campaign.send_mode,
            "send_at": campaign.send_at,
            "repeat_every_hours": campaign.repeat_every_hours,
            "repeat_until": campaign.repeat_until,
            "validity_hours": campaign.validity_hours,
            "pace_per_minute": campaign.pace_per_minute,
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        mode, send_at = data.get("send_mode"), data.get("send_at")
        now = timezone.now()
        if mode == Campaign.SendMode.AT and not send_at and not self.has_error("send_at"):
            self.add_error("send_at", _("Choose the date and time to send."))
        if mode in (Campaign.SendMode.AT, Campaign.SendMode.REPEAT) and send_at and send_at <= now:
            local = timezone.localtime(send_at)
            self.add_error(
                "send_at",
                _("%(time)s has already passed; choose a later time or send now.")
                % {"time": f"{local:%d %b %Y %H:%M} {local.tzname()}"},
            )
        if mode == Campaign.SendMode.REPEAT:
            every, until = data.get("repeat_every_hours"), data.get("repeat_until")
            if not every and not self.has_error("repeat_every_hours"):
                self.add_error("repeat_every_hours", _("Say how many hours apart the reminders are."))
            if not until and not self.has_error("repeat_until"):
                self.add_error("repeat_until", _("Say when the reminders stop."))
            elif until and until <= max(send_at or now, now) + timedelta(hours=every or 0):
                self.add_error(
                    "repeat_until", _("The end must leave room for at least one reminder after the first notice.")
                )
        if self.incident is not None and not self.has_error("reminder_hours"):
            first_at = send_at if mode != Campaign.SendMode.NOW and send_at else now
            data["reminder_offsets"] = maintenance_offsets(
                self, self.incident, first_at, data.get("reminder_hours") or ""
            )
        return data

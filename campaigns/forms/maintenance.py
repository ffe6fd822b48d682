"""The When step's maintenance reminders: "24, 1" (hours before the window starts) read into minutes and checked
against the window, so a reminder that could never go is refused beside the field, not dropped at send time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Incident
from campaigns.selectors.maintenance import offset_label

MAX_REMINDERS = 5
MAX_REMINDER_HOURS = 720  # 30 days before the window


def hours_text(minutes: list[int]) -> str:
    """[1440, 30] → "24, 0.5"."""
    return ", ".join(f"{Decimal(m) / 60:f}".rstrip("0").rstrip(".") for m in minutes)


def _moment(value: datetime) -> str:
    local = timezone.localtime(value)
    return f"{local:%d %b %Y %H:%M} {local.tzname()}"


def parse_hours(text: str) -> list[int]:
    """Minutes before the start, largest first; ``forms.ValidationError`` for anything but a short list of hours."""
    parts = [part for part in re.split(r"[,;\s]+", text.strip()) if part]
    if len(parts) > MAX_REMINDERS:
        raise forms.ValidationError(_("At most %(n)d reminders.") % {"n": MAX_REMINDERS})
    minutes = set()
    for part in parts:
        try:
            hours = Decimal(part)
        except InvalidOperation:
            raise forms.ValidationError(_("%(part)s is not a number of hours.") % {"part": part[:20]}) from None
        if not hours.is_finite() or hours <= 0 or hours > MAX_REMINDER_HOURS or (hours * 60) % 1:
            raise forms.ValidationError(
                _("Each reminder is more than 0 and at most %(max)d hours before, in whole minutes (%(part)s is not).")
                % {"max": MAX_REMINDER_HOURS, "part": part[:20]}
            )
        minutes.add(int(hours * 60))
    return sorted(minutes, reverse=True)


def maintenance_offsets(form: forms.Form, incident: Incident, first_at: datetime, text: str) -> list[int]:
    """The reminders' offsets in minutes, after checking the window: it must end, after now; each reminder must fall
    after the notice goes out (``first_at``) and so in the future. Errors go beside the field."""
    if incident.expected_resolution_at is None:
        form.add_error(
            None, _("A planned maintenance needs its end: set the expected resolution on the Incident step.")
        )
        return []
    if incident.expected_resolution_at <= timezone.now():
        form.add_error(None, _("This maintenance window has already ended; change it on the Incident step."))
        return []
    try:
        offsets = parse_hours(text)
    except forms.ValidationError as error:
        form.add_error("reminder_hours", error)
        return []
    for minutes in offsets:
        at = incident.started_at - timedelta(minutes=minutes)
        if at <= first_at:
            form.add_error(
                "reminder_hours",
                _("%(offset)s before the start is %(time)s, before this notice goes out; choose a shorter time.")
                % {"offset": offset_label(minutes), "time": _moment(at)},
            )
    return offsets

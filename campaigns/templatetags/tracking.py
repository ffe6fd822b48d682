"""Template filters for the tracking pages: state labels and colours, shares as percentages."""

from __future__ import annotations

import math
from datetime import timedelta

from django import template
from django.conf import settings
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.selectors.failover import wait_seconds_of
from campaigns.selectors.maintenance import is_maintenance_notice, planned_notices
from campaigns.selectors.timing import validity_hours_of
from clients.models import Channel
from notifications.models import Message

register = template.Library()

CAMPAIGN_COLOURS: dict[str, str] = {
    Campaign.State.DRAFT: "secondary",
    Campaign.State.AWAITING_APPROVAL: "warning",
    Campaign.State.SCHEDULED: "info",
    Campaign.State.SENDING: "primary",
    Campaign.State.PAUSED: "warning",
    Campaign.State.COMPLETED: "success",
    Campaign.State.CANCELLED: "dark",
    Campaign.State.FAILED: "danger",
    Campaign.State.DISCARDED: "light",
}
MESSAGE_COLOURS: dict[str, str] = {
    Message.State.PENDING: "secondary",
    Message.State.SENDING: "info",
    Message.State.ACCEPTED: "primary",
    Message.State.DELIVERED: "success",
    Message.State.UNDELIVERABLE: "danger",
    Message.State.EXPIRED: "warning",
    Message.State.REJECTED: "danger",
    Message.State.FAILED: "danger",
    Message.State.SKIPPED: "light",
    Message.State.CANCELLED: "dark",
    Message.State.SUPERSEDED: "dark",
}
CAMPAIGN_LABELS = dict(Campaign.State.choices)
MESSAGE_LABELS = dict(Message.State.choices)


@register.filter
def channel_label(channel: str) -> str:
    """SMS, Email, Viber, WhatsApp (``clients.models.Channel``)."""
    return str(dict(Channel.choices).get(channel, channel))


@register.filter
def campaign_state_label(state: str) -> str:
    return str(CAMPAIGN_LABELS.get(state, state))


@register.filter
def campaign_state_colour(state: str) -> str:
    return CAMPAIGN_COLOURS.get(state, "secondary")


@register.filter
def message_state_label(state: str) -> str:
    return str(MESSAGE_LABELS.get(state, state))


@register.filter
def validity_hours(campaign: Campaign) -> int:
    """The notice's validity in hours (its own, else its kind's default)."""
    return validity_hours_of(campaign)


@register.filter
def maintenance_plan(campaign: Campaign) -> str:
    """What a maintenance notice will schedule, for the outage form's summary ("" for other notices); active zone."""
    if not is_maintenance_notice(campaign):
        return ""
    first = campaign.send_at if campaign.send_mode != Campaign.SendMode.NOW and campaign.send_at else timezone.now()
    plan = planned_notices(campaign.incident, list(campaign.reminder_offsets or []), first_at=first)
    return "; ".join(f"{p.label.lower()} {timezone.localtime(p.at):%d %b %H:%M}" for p in plan)


@register.filter
def failover_text(campaign: Campaign) -> str:
    """ "WhatsApp → SMS after 5 min" for a notice with a failover chain (its own wait, else its kind's), else ""."""
    if len(campaign.failover or []) < 2:
        return ""
    chain = " → ".join(channel_label(channel) for channel in campaign.failover)
    return f"failover {chain} after {wait_seconds_of(campaign) // 60} min"


@register.filter
def message_state_colour(state: str) -> str:
    return MESSAGE_COLOURS.get(state, "secondary")


@register.filter
def as_percent(share: float | None) -> str:
    """0.9567 → '95.7%'; None → '–'."""
    return "–" if share is None else f"{100 * share:.1f}%"


@register.filter
def css_width(percent: float) -> str:
    """A width for style attributes, with a dot as decimal separator whatever the locale."""
    return f"{percent:.2f}%"


ACTION_LABELS = {
    "empty_accepted": "Sent with empty placeholders",
    "superseded": "Superseded an earlier notice's unsent messages",
    "maintenance_scheduled": "Scheduled the maintenance's reminders and notices",
    "window_changed": "Changed the maintenance window",
    "duplicated": "Duplicated",
    "discarded": "Draft discarded",
}


@register.filter
def action_label(action: str) -> str:
    return ACTION_LABELS.get(action) or action.replace("_", " ").capitalize()


@register.filter
def language_name(code: str) -> str:
    """'fr' → 'French' (the portal's languages), else the code itself."""
    return str(dict(settings.LANGUAGES).get(code, code))


@register.filter
def people(count: int | None) -> str:
    """5 → '5 people', 1 → '1 person': recipients are people; messages are counted apart."""
    n = count or 0
    return f"{n} {'person' if n == 1 else 'people'}"


@register.filter
def duration_text(duration: timedelta | None) -> str:
    """A paced send's duration as people say it: "45 s", "12 min", "3 h 20 min"."""
    if duration is None:
        return ""
    seconds = int(duration.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"

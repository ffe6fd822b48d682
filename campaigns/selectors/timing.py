"""A notice's time: how long its messages may go out (validity), whom a follow-up supersedes and whom quiet hours
hold back. No writes.

Why here: the outage form shows these before Send, and ``starting.py`` applies them when the send starts; one
computation serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count

from campaigns.models import Campaign, CampaignSend, IncidentKind
from campaigns.services.reach import campaign_notice_kind, reachable_clients
from clients.selectors import audience_queryset
from notifications.services import quiet
from notifications.services.supersede import pending_superseded

#: Used for a kind missing from ``NOTICE_VALIDITY_HOURS``.
FALLBACK_VALIDITY_HOURS = 4


def kind_validity_hours(kind: str) -> int:
    """The default validity of a notice kind, in hours (settings ``NOTICE_VALIDITY_HOURS``)."""
    return int(settings.NOTICE_VALIDITY_HOURS.get(kind, FALLBACK_VALIDITY_HOURS))


def validity_hours_of(campaign: Campaign) -> int:
    """The notice's own validity, else its kind's."""
    return campaign.validity_hours or kind_validity_hours(campaign.kind)


def valid_until_from(campaign: Campaign, start: datetime) -> datetime:
    """When a send of this notice starting at ``start`` stops: messages not accepted by then expire."""
    return start + timedelta(hours=validity_hours_of(campaign))


SUPERSEDING_KINDS = (IncidentKind.UPDATE, IncidentKind.RESOLVED)


def earlier_send_ids(campaign: Campaign) -> list[int]:
    """Sends (main and reminders, not tests) of the incident's other notices, which an update or resolved notice
    supersedes; none for other kinds."""
    if campaign.kind not in SUPERSEDING_KINDS or campaign.incident_id is None:
        return []
    links = CampaignSend.objects.filter(campaign__incident_id=campaign.incident_id).exclude(campaign_id=campaign.pk)
    return list(links.exclude(role=CampaignSend.Role.TEST).values_list("send_id", flat=True))


def superseded_recipients(campaign: Campaign) -> int:
    """How many people have not yet been sent an earlier notice of the incident and would get only this one."""
    send_ids = earlier_send_ids(campaign)
    if not send_ids:
        return 0
    rows = pending_superseded(
        send_ids=send_ids, channels=list(campaign.channels), clients=audience_queryset(campaign.audience)
    )
    return rows.values("client_id").distinct().count()


def superseded_label(campaign: Campaign) -> str:
    """What the earlier notice is called on the Send step: "the outage notice" (the parent's kind), else generic."""
    parent = campaign.parent
    return f"the {parent.get_kind_display().lower()} notice" if parent is not None else "an earlier notice"


@dataclass(frozen=True)
class QuietHold:
    recipients: int  # people whose local time is inside quiet hours when the notice starts
    until: datetime  # the latest window end among them (UTC)


def quiet_hold(campaign: Campaign, start: datetime) -> QuietHold | None:
    """Who would wait for the end of quiet hours if the notice started at ``start``: the rule materialize applies
    (``notifications/services/quiet.py``: the kind, never mandatory, each recipient's zone), counted on the
    reachable audience before Send."""
    window = quiet.configured_window()
    if window is None or campaign.mandatory or campaign_notice_kind(campaign) not in quiet.quiet_kinds():
        return None
    held = dict(quiet.held_zones(start, window))
    if not held:
        return None
    per_zone = dict(
        reachable_clients(campaign)
        .filter(time_zone__in=held)
        .order_by()
        .values_list("time_zone")
        .annotate(n=Count("pk"))
        .values_list("time_zone", "n")
    )
    if not per_zone:
        return None
    return QuietHold(recipients=sum(per_zone.values()), until=max(held[zone] for zone in per_zone))

"""What the public pages and feeds show, built from published incidents only (campaigns.selectors.public).

Plain values for the templates and feeds: titles, states, services, regions, times and update texts in the reader's
language. Nothing else of an incident is read, so nothing else can leak: no audience, count, message or note.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from campaigns.models import Incident, IncidentKind, PublicState, PublicUpdate
from campaigns.models.public import FINAL_PUBLIC_STATES
from campaigns.selectors.public import HISTORY_DAYS, status_page_incidents
from campaigns.selectors.public_preview import STATE_SENTENCES
from public_site.status.variant import Variant

# How a state looks: the tone picks the colour (static/css/status.css), the words say it without colour.
TONES = {
    PublicState.INVESTIGATING: "outage",
    PublicState.IDENTIFIED: "outage",
    PublicState.MONITORING: "monitoring",
    PublicState.RESOLVED: "ok",
    PublicState.SCHEDULED: "maintenance",
    PublicState.IN_PROGRESS: "maintenance",
    PublicState.COMPLETED: "ok",
}


def query(variant: Variant, **extra: str) -> str:
    """``?lang=…`` (and ``&tz=…`` when not the portal's) so links keep the reader's language and zone."""
    params = {"lang": variant.language}
    if variant.time_zone != settings.TIME_ZONE:
        params["tz"] = variant.time_zone
    params.update(extra)
    return "?" + urlencode(params)


def absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL + path


@dataclass(frozen=True)
class UpdateView:
    state: str
    state_label: str
    tone: str
    text: str
    text_language: str
    at: datetime


@dataclass
class IncidentView:
    public_id: str
    title: str
    is_maintenance: bool
    state: str
    state_label: str
    tone: str
    services: list[str]
    regions: list[str]
    started_at: datetime
    expected_end: datetime | None
    resolved_at: datetime | None
    updates: list[UpdateView] = field(default_factory=list)  # newest first
    url: str = ""

    @property
    def last_update(self) -> UpdateView | None:
        return self.updates[0] if self.updates else None

    @property
    def updated_at(self) -> datetime:
        return self.updates[0].at if self.updates else self.started_at

    @property
    def is_over(self) -> bool:
        return self.state in FINAL_PUBLIC_STATES


def _services_text(incident: Incident) -> str:
    return ", ".join(_(name) for name in incident.services) or _("some of our services")


def _text(update: PublicUpdate, incident: Incident, language: str) -> tuple[str, str]:
    """The update's text in ``language``, else the portal's language, else any; else its state's sentence."""
    texts = update.texts or {}
    for candidate in (language, settings.LANGUAGE_CODE, *sorted(texts)):
        if texts.get(candidate):
            return texts[candidate], candidate
    return str(STATE_SENTENCES[PublicState(update.state)]) % {"services": _services_text(incident)}, language


def shown_state(incident: Incident, now: datetime) -> str:
    """The state the page shows: the last update's, a maintenance window moving on by the clock."""
    state = incident.public_state or PublicState.INVESTIGATING
    if incident.kind != IncidentKind.MAINTENANCE or state in FINAL_PUBLIC_STATES:
        return state
    end = incident.expected_resolution_at
    if end is not None and end <= now:
        return PublicState.COMPLETED
    return PublicState.IN_PROGRESS if incident.started_at <= now else PublicState.SCHEDULED


def incident_view(
    incident: Incident, variant: Variant, *, now: datetime, extra: list[PublicUpdate] | None = None
) -> IncidentView:
    """An incident as its page shows it, in ``variant``'s language (call inside ``translation.override``)."""
    updates = [*incident.public_updates.all(), *(extra or [])]
    state = shown_state(incident, now) if not extra else extra[-1].state
    views = []
    for update in reversed(updates):
        text, text_language = _text(update, incident, variant.language)
        views.append(
            UpdateView(
                state=update.state,
                state_label=str(PublicState(update.state).label),
                tone=TONES[PublicState(update.state)],
                text=text,
                text_language=text_language,
                at=update.published_at,
            )
        )
    url = reverse("public:incident", args=[incident.public_id]) if incident.public_id else ""
    return IncidentView(
        public_id=incident.public_id or "",
        title=incident.title,
        is_maintenance=incident.kind == IncidentKind.MAINTENANCE,
        state=state,
        state_label=str(PublicState(state).label),
        tone=TONES[PublicState(state)],
        services=[_(name) for name in incident.services],
        regions=list(incident.regions or []),
        started_at=incident.started_at,
        expected_end=incident.expected_resolution_at,
        resolved_at=incident.resolved_at if state in FINAL_PUBLIC_STATES else None,
        updates=views,
        url=url + query(variant) if url else "",
    )


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    label: str
    tone: str


def _service_rows(current: list[IncidentView], maintenance: list[IncidentView]) -> list[ServiceStatus]:
    """Each service named by an open incident or maintenance, with the worst of what touches it."""
    rank = {"outage": 3, "monitoring": 2, "maintenance": 1}
    worst: dict[str, str] = {}
    for view in [*current, *[m for m in maintenance if m.state == PublicState.IN_PROGRESS]]:
        for name in view.services:
            if rank.get(view.tone, 0) > rank.get(worst.get(name, ""), 0):
                worst[name] = view.tone
    labels = {"outage": _("Disrupted"), "monitoring": _("Recovering"), "maintenance": _("Under maintenance")}
    return [ServiceStatus(name=name, label=labels[tone], tone=tone) for name, tone in sorted(worst.items())]


def status_context(variant: Variant) -> dict[str, Any]:
    """The status page: open incidents, maintenance, each service touched, and the last 30 days."""
    now = timezone.now()
    with override(variant.language):
        found = status_page_incidents(now)
        current = [incident_view(incident, variant, now=now) for incident in found.current]
        maintenance = [incident_view(incident, variant, now=now) for incident in found.maintenance]
        history = [incident_view(incident, variant, now=now) for incident in found.history]
        services = _service_rows(current, maintenance)
    return {
        "views": [*current, *maintenance, *history],
        "current": current,
        "maintenance": maintenance,
        "history": history,
        "services": services,
        "all_well": not current,
        "history_days": HISTORY_DAYS,
    }

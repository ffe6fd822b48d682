"""The values every recipient of a notice shares: those an incident provides (campaigns/selectors/gaps.py finds the
ones a message uses but nobody filled in)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from campaigns.models import Campaign, Incident, MessageTemplate

# Campaign variables that come from the incident; the others (status_page) are kept when the incident changes.
INCIDENT_VARIABLES = ("incident_title", "service", "started_at", "expected_resolution", "severity")
# Labels of the values every recipient shares, as the Message step names them.
SHARED_VARIABLE_LABELS = {
    "incident_title": "Incident title",
    "service": "Affected service",
    "started_at": "Started at",
    "expected_resolution": "Expected resolution",
    "severity": "Severity",
    "status_page": "Status page address",
}


def format_moment(value: datetime | None) -> str:
    """How a time reads in a message: '3 May 2026, 14:30 UTC' in the portal's zone."""
    if value is None:
        return ""
    local = timezone.localtime(value, timezone.get_default_timezone())
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def incident_variables(incident: Incident) -> dict[str, str]:
    """The campaign-level placeholder values an incident provides."""
    return {
        "incident_title": incident.title,
        "service": ", ".join(incident.services),
        "started_at": format_moment(incident.started_at),
        "expected_resolution": format_moment(incident.expected_resolution_at),
        "severity": incident.get_severity_display(),
    }


def send_variables(campaign: Campaign) -> dict[str, Any]:
    """The campaign's shared values as a send freezes them: an incident time still as the incident gives it goes
    as the moment itself (ISO 8601), which each recipient then reads in their own language and time zone
    (notifications.localise); a time ops rewrote as text ("tonight") goes as written."""
    values = dict(campaign.variables or {})
    incident = campaign.incident
    for name, moment in (("started_at", incident.started_at), ("expected_resolution", incident.expected_resolution_at)):
        if moment is not None and values.get(name) == format_moment(moment):
            values[name] = moment.isoformat()
    return values


def template_content(template: MessageTemplate) -> dict[str, Any]:
    """A saved template's versions as campaign content ({language: {channel: {...}}})."""
    return {version.language: version.as_content() for version in template.versions.all()}


def template_public_text(template: MessageTemplate) -> dict[str, str]:
    """A saved template's public page text per language (the languages that have one)."""
    return {version.language: version.public_text for version in template.versions.all() if version.public_text}

"""Incidents: one is resolved (once) when its resolved notice goes out, or by hand from its page."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Incident, IncidentKind
from campaigns.services import audit, rules
from campaigns.services.publishing import incident_resolved_published


@transaction.atomic
def incident_resolve(*, incident: Incident, actor: rules.Actor = None, campaign: Campaign | None = None) -> Incident:
    """Mark the incident resolved (once); the event goes on ``campaign``'s trail when one is given."""
    rules.require(actor, rules.SEND, "resolve incidents")
    updated = Incident.objects.filter(pk=incident.pk, status=Incident.Status.OPEN).update(
        status=Incident.Status.RESOLVED, resolved_at=timezone.now()
    )
    incident.refresh_from_db(fields=["status", "resolved_at"])
    if updated and campaign is not None:
        audit.record(campaign, rules.person(actor), audit.Action.INCIDENT_RESOLVED, f"incident #{incident.pk}")
    if updated and campaign is None:
        incident_resolved_published(incident)  # a resolved notice publishes its own update
    return incident


def campaign_sent(*, campaign: Campaign, actor: rules.Actor = None) -> Campaign:
    """What follows a notice going out: a resolved notice closes its incident."""
    if campaign.kind == IncidentKind.RESOLVED:
        incident_resolve(incident=campaign.incident, actor=None, campaign=campaign)
    return campaign

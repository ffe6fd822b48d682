"""Publishing incidents on the public status page (docs/public.md).

An incident with ``is_public`` (the default) is published when its first notice's send starts: it gets a random
``public_id`` for its page and a first update; each later notice (update, resolved) adds one. An update carries the
notice's public text per language when it has one, else the page shows the standard sentence of its state in the
reader's language. Nothing else of a notice is published: not its audience, counts, messages or internal note.
Every change moves the public cache's version when it commits (public_cache.py).
"""

from __future__ import annotations

import secrets
import string

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Incident, IncidentKind, PublicState, PublicUpdate
from campaigns.models.public import FINAL_PUBLIC_STATES, INCIDENT_STATES, MAINTENANCE_STATES
from campaigns.services import rules
from campaigns.services.public_cache import public_changed

PUBLIC_ID_LENGTH = 10
PUBLIC_TEXT_MAX_LENGTH = 5_000


def new_public_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(PUBLIC_ID_LENGTH))


def is_maintenance(incident: Incident) -> bool:
    return incident.kind == IncidentKind.MAINTENANCE


def states_for(incident: Incident) -> tuple[str, ...]:
    """The states this incident's updates may set: a maintenance window's, or an incident's."""
    return tuple(MAINTENANCE_STATES if is_maintenance(incident) else INCIDENT_STATES)


def notice_public_state(campaign: Campaign) -> str:
    """The state a notice sets: the one chosen for it, else what its kind means (an update keeps the state)."""
    incident = campaign.incident
    if campaign.public_state in states_for(incident):
        return campaign.public_state
    if is_maintenance(incident):
        if campaign.kind == IncidentKind.RESOLVED:
            return PublicState.COMPLETED
        return PublicState.SCHEDULED if incident.started_at > timezone.now() else PublicState.IN_PROGRESS
    if campaign.kind == IncidentKind.RESOLVED:
        return PublicState.RESOLVED
    if campaign.kind == IncidentKind.UPDATE and incident.public_state in INCIDENT_STATES:
        return incident.public_state
    return PublicState.INVESTIGATING


def clean_texts(texts: object) -> dict[str, str]:
    """Public texts per portal language, stripped and bounded; anything else is dropped."""
    languages = dict(settings.LANGUAGES)
    if not isinstance(texts, dict):
        return {}
    return {
        str(language): str(text).strip()[:PUBLIC_TEXT_MAX_LENGTH]
        for language, text in texts.items()
        if language in languages and isinstance(text, str) and text.strip()
    }


def _publish(incident: Incident, *, state: str, texts: dict[str, str], campaign: Campaign | None) -> PublicUpdate:
    """Add one update (the incident row is locked by the caller) and move the incident to its state."""
    now = timezone.now()
    fields: dict[str, object] = {"public_state": state}
    if incident.public_id is None:
        fields["public_id"] = new_public_id()
    if incident.published_at is None:
        fields["published_at"] = now
    Incident.objects.filter(pk=incident.pk).update(**fields)
    for name, value in fields.items():
        setattr(incident, name, value)
    update = PublicUpdate.objects.create(
        incident=incident, campaign=campaign, state=state, texts=clean_texts(texts), published_at=now
    )
    public_changed()
    return update


@transaction.atomic
def campaign_published(campaign: Campaign) -> PublicUpdate | None:
    """A notice's main send started: publish its update on the incident's page (once), if the page is public."""
    incident = Incident.objects.select_for_update().get(pk=campaign.incident_id)
    campaign.incident = incident
    if not incident.is_public or PublicUpdate.objects.filter(campaign=campaign).exists():
        return None
    if campaign.maintenance_step == "reminder":  # a reminder adds nothing the page does not already say
        return None
    return _publish(incident, state=notice_public_state(campaign), texts=campaign.public_text or {}, campaign=campaign)


@transaction.atomic
def incident_update_publish(
    *, incident: Incident, state: str, texts: dict[str, str], actor: rules.Actor
) -> PublicUpdate:
    """Staff publish an update without a notice (a state change, a correction)."""
    rules.require(actor, rules.SEND, "publish incident updates")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if state not in states_for(incident):
        raise ValueError(f"{state!r} is not a state of this incident.")
    return _publish(incident, state=state, texts=texts, campaign=None)


@transaction.atomic
def incident_resolved_published(incident: Incident) -> PublicUpdate | None:
    """The incident was resolved without a resolved notice: its public page says so, once."""
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not incident.is_public or incident.published_at is None or incident.public_state in FINAL_PUBLIC_STATES:
        return None
    final = PublicState.COMPLETED if is_maintenance(incident) else PublicState.RESOLVED
    return _publish(incident, state=final, texts={}, campaign=None)


@transaction.atomic
def incident_visibility_set(*, incident: Incident, is_public: bool, actor: rules.Actor) -> Incident:
    """Show or hide an incident's public page; a hidden page answers 404 and leaves the status page and feeds."""
    rules.require(actor, rules.SEND, "publish incidents")
    Incident.objects.filter(pk=incident.pk).update(is_public=is_public)
    incident.is_public = is_public
    public_changed()
    return incident

"""Sending notices the way the portal does (through the door), for the public pages' tests."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.test import TestCase

from campaigns.models import Campaign, Incident
from campaigns.services import door
from campaigns.services.followups import campaign_follow_up
from campaigns.services.public_cache import version_forget
from notifications.services.materialize import send_materialize
from public_site.status import cache as page_cache
from public_site.status import links

CONTENT = {
    "en": {
        "sms": {"text": "{{ incident_title }}. Details: {{ incident_link }}"},
        "email": {"subject": "{{ incident_title }}", "text": "Dear {{ client_name }}, details: {{ incident_link }}"},
    },
    "fr": {
        "sms": {"text": "{{ incident_title }}. Détails : {{ incident_link }}"},
        "email": {
            "subject": "{{ incident_title }}",
            "text": "Bonjour {{ client_name }}, détails : {{ incident_link }}",
        },
    },
}


def notice(
    *,
    actor: User,
    clients: list[Any],
    title: str = "Fibre cut in Lyon",
    kind: str = "outage",
    incident_fields: dict[str, Any] | None = None,
    public_text: dict[str, str] | None = None,
    public_state: str = "",
    content: dict[str, Any] | None = None,
    channels: tuple[str, ...] = ("sms", "email"),
    regions: list[str] | None = None,
) -> Campaign:
    """A first notice about a new incident, sent now."""
    spec = door.NoticeSpec(
        title=title,
        audience={"clients": [client.pk for client in clients]},
        channels=list(channels),
        kind=kind,
        content=content or CONTENT,
        incident_fields={"services": ["SMS service"], "internal_note": "Vendor ticket 4711", **(incident_fields or {})},
    )
    draft = door.notice_submit(spec=spec, origin=door.Origin(source="web", actor=actor)).campaign
    if regions:
        Incident.objects.filter(pk=draft.incident_id).update(regions=regions)
    return confirm(draft, actor=actor, public_text=public_text, public_state=public_state)


def confirm(
    draft: Campaign,
    *,
    actor: User,
    public_text: dict[str, str] | None,
    public_state: str = "",
    content: dict[str, Any] | None = None,
) -> Campaign:
    Campaign.objects.filter(pk=draft.pk).update(public_text=public_text or {}, public_state=public_state)
    draft.refresh_from_db()
    if not draft.content:
        Campaign.objects.filter(pk=draft.pk).update(content=content or CONTENT)
        draft.refresh_from_db()
    with TestCase.captureOnCommitCallbacks(execute=True):  # the public version moves when the send commits
        campaign = door.campaign_confirm(campaign=draft, actor=actor)
    campaign.refresh_from_db()
    for link in campaign.campaign_sends.filter(role="main"):
        send_materialize(send_id=link.send_id)  # what the worker does first: one message row per recipient
    return campaign


def follow_up(
    parent: Campaign,
    *,
    actor: User,
    kind: str,
    public_text: dict[str, str] | None = None,
    public_state: str = "",
    content: dict[str, Any] | None = None,
) -> Campaign:
    draft = campaign_follow_up(campaign=parent, kind=kind, actor=actor)
    return confirm(draft, actor=actor, public_text=public_text, public_state=public_state, content=content)


def incident_of(campaign: Campaign) -> Incident:
    return Incident.objects.get(pk=campaign.incident_id)


def forget_local_caches() -> None:
    """What a fresh gunicorn process would have: nothing in its memory."""
    page_cache.local_clear()
    links._targets.clear()
    version_forget()

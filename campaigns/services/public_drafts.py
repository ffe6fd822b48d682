"""What a draft notice will publish on its incident's public page: its public text per language, and whether the
incident has a public page at all (docs/public.md).

The text is written in the outage form beside the message and published as written when the notice's main send
starts (publishing.py). The page switch is the incident's ``is_public``: the outage form sets it while the incident
is not yet published (it is on by default); a published page is hidden from the staff incident page, which needs
the send permission (publishing.incident_visibility_set), not by editing a draft.
"""

from __future__ import annotations

from typing import Any

from campaigns.models import Campaign, Incident
from campaigns.services.publishing import clean_texts


def public_text_apply(campaign: Campaign, public_text: dict[str, Any] | None, is_public: bool | None) -> list[str]:
    """Set the draft's public text (and the unpublished incident's page switch); the names of what changed.

    The caller holds the draft for editing (drafts._editing) and saves ``public_text``.
    """
    changes: list[str] = []
    if public_text is not None:
        texts = clean_texts(public_text)
        if texts != (campaign.public_text or {}):
            changes.append("public text")
        campaign.public_text = texts
    incident = campaign.incident
    if is_public is not None and incident.published_at is None and incident.is_public != is_public:
        Incident.objects.filter(pk=incident.pk).update(is_public=is_public)
        incident.is_public = is_public
        changes.append("public page " + ("on" if is_public else "off"))
    return changes

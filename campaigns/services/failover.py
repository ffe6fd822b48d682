"""Save the outage form's failover chain (Audience step): the channels in order and the wait before the next one.

Apart from ``drafts.py`` so the Audience step's own save stays as it was; the same editing rule and audit apply.
"""

from __future__ import annotations

from django.db import transaction

from campaigns.models import Campaign
from campaigns.selectors.failover import chain_valid
from campaigns.services import rules
from campaigns.services.drafts import _edited, _editing

LABELS = {"failover": "failover chain", "failover_wait_minutes": "failover wait"}


@transaction.atomic
def campaign_failover_update(
    *, campaign: Campaign, failover: list[str], wait_minutes: int | None, actor: rules.Actor
) -> Campaign:
    """Keep the chain (fewer than two channels: none) and its wait (None: the kind's default)."""
    _editing(campaign, actor)
    chain = chain_valid(failover)
    before = (list(campaign.failover or []), campaign.failover_wait_minutes)
    campaign.failover, campaign.failover_wait_minutes = chain, (wait_minutes or None) if chain else None
    if before == (campaign.failover, campaign.failover_wait_minutes):
        return campaign
    campaign.save(update_fields=["failover", "failover_wait_minutes", "updated_at"])
    changed = [label for name, label in LABELS.items() if getattr(campaign, name) != before[list(LABELS).index(name)]]
    _edited(campaign, actor, "Audience", changed)
    return campaign

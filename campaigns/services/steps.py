"""The outage form's steps, in order; ``Campaign.wizard_step`` holds the furthest one a draft reached."""

from __future__ import annotations

from campaigns.models import Campaign

STEPS = ("incident", "audience", "message", "when", "preview", "test", "send")
STEP_TITLES = {
    "incident": "Incident",
    "audience": "Audience",
    "message": "Message",
    "when": "When",
    "preview": "Preview",
    "test": "Test send",
    "send": "Send",
}


def step_index(step: str) -> int:
    return STEPS.index(step) if step in STEPS else 0


def campaign_step_reach(*, campaign: Campaign, step: str) -> Campaign:
    """Record that the author reached ``step``; the furthest step only moves forward (not an edit)."""
    if step_index(step) > step_index(campaign.wizard_step):
        campaign.wizard_step = step
        campaign.save(update_fields=["wizard_step", "updated_at"])
    return campaign

"""A draft's one-tap question and its answers, saved with the Message step (who may edit a draft: ``rules``)."""

from __future__ import annotations

from django.utils import timezone

from campaigns.models import Campaign
from campaigns.services import rules


def campaign_question_set(
    *, campaign: Campaign, question: str, options: list[dict[str, str]], actor: rules.Actor
) -> Campaign:
    """Store the question; the same edit rules as the rest of the draft (only its author, or an Incident lead)."""
    problem = rules.edit_problem(campaign, actor)
    if problem:
        raise rules.NotAllowed(problem)
    if (campaign.reply_question, campaign.reply_options) == (question, options):
        return campaign
    campaign.reply_question, campaign.reply_options = question[:160], options
    Campaign.objects.filter(pk=campaign.pk).update(
        reply_question=campaign.reply_question, reply_options=options, updated_at=timezone.now()
    )
    return campaign

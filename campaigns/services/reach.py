"""How many people a notice reaches now, and whether that needs a second person's approval.

Counted from the audience as it is at the moment of asking (confirmation, a scheduled start, each reminder), with
clients' muted notice kinds honoured unless the notice is mandatory: the same rules for every way a notice starts.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet

from campaigns.models import NOTICE_KIND_FOR, Campaign
from clients.models import Client
from clients.selectors import audience_counts, audience_queryset, exclusion_reason


@dataclass(frozen=True)
class Reach:
    recipients: int  # distinct clients reachable on at least one chosen channel
    messages: int  # one per client and channel


def campaign_notice_kind(campaign: Campaign) -> str:
    """The client preference (muted kinds) this notice falls under."""
    return NOTICE_KIND_FOR.get(campaign.kind, "")


def reachable_clients(campaign: Campaign) -> QuerySet[Client]:
    """The clients the notice would reach now: matched and eligible on at least one of its channels."""
    if not campaign.audience or not campaign.channels:
        return Client.objects.none()
    kind = campaign_notice_kind(campaign)
    reasons = {
        f"reason_{channel}": exclusion_reason(channel, notice_kind=kind, mandatory=campaign.mandatory)
        for channel in campaign.channels
    }
    reachable = Q()
    for name in reasons:
        reachable |= Q(**{name: ""})
    return audience_queryset(campaign.audience).annotate(**reasons).filter(reachable)


def campaign_reach(campaign: Campaign) -> Reach:
    """How many clients and messages the notice would reach now (a few queries, nothing loops over clients)."""
    if not campaign.audience or not campaign.channels:
        return Reach(recipients=0, messages=0)
    kind = campaign_notice_kind(campaign)
    counts = audience_counts(campaign.audience, campaign.channels, notice_kind=kind, mandatory=campaign.mandatory)
    recipients = reachable_clients(campaign).count()
    # A failover chain sends one first message per client reachable on it (more only for those who fall back).
    chain = [channel for channel in dict.fromkeys(campaign.failover or []) if channel in campaign.channels]
    chain = chain if len(chain) >= 2 else []
    messages = sum(c.eligible for channel, c in counts.per_channel.items() if channel not in chain)
    if chain:
        reasons = {
            f"reason_{channel}": exclusion_reason(channel, notice_kind=kind, mandatory=campaign.mandatory)
            for channel in chain
        }
        on_chain = Q()
        for name in reasons:
            on_chain |= Q(**{name: ""})
        messages += audience_queryset(campaign.audience).annotate(**reasons).filter(on_chain).count()
    return Reach(recipients=recipients, messages=messages)


def approval_needed(campaign: Campaign, reach: Reach) -> bool:
    """Above the threshold, unless an approval (or emergency send) already covers this many recipients."""
    if reach.recipients <= settings.APPROVAL_THRESHOLD:
        return False
    return campaign.approved_recipients is None or reach.recipients > campaign.approved_recipients

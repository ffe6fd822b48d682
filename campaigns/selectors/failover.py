"""What a failover chain will do for a notice's audience, before it is sent: where clients start, who could fall back.

The outage form shows it beside the channels and on the Send step, with what the fallback may cost in SMS parts
(docs/outage-form.md). One grouped query: clients are grouped by their preferred channel and whether each channel
of the chain can reach them (a handful of groups), and each group is walked through the chain in Python, in the
order ``notifications.services.chain.client_order`` gives it at send time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count

from campaigns.models import Campaign
from campaigns.services.reach import campaign_notice_kind
from clients.selectors import audience_queryset, exclusion_reason
from notifications.rendering import sms_count
from notifications.services.chain import client_order


@dataclass(frozen=True)
class ChainReach:
    chain: tuple[str, ...]
    starts: dict[str, int] = field(default_factory=dict)  # clients whose first message goes on this channel
    may_fall_back: dict[str, int] = field(default_factory=dict)  # clients who may get it later, by failover
    unreachable: int = 0  # reachable on no channel of the chain
    sms_parts: int = 0  # the longest SMS text of the notice, in parts (0 without one)

    @property
    def sms_worst_case(self) -> int:
        """SMS parts billed if every client who could fall back to SMS did."""
        people = self.starts.get("sms", 0) + self.may_fall_back.get("sms", 0)
        return people * self.sms_parts


def chain_valid(chain: list[str]) -> list[str]:
    chain = list(dict.fromkeys(channel for channel in chain if channel))
    return chain if len(chain) >= 2 else []


def wait_minutes_default(kind: str) -> int:
    """The kind's default wait before the next channel (settings ``FAILOVER_WAIT_MINUTES``; 5 when absent)."""
    return int(settings.FAILOVER_WAIT_MINUTES.get(kind, 5))


def wait_seconds_of(campaign: Campaign) -> int:
    return 60 * (campaign.failover_wait_minutes or wait_minutes_default(campaign.kind))


def sms_parts_of(content: dict[str, Any]) -> int:
    texts = [str((part.get("sms") or {}).get("text") or "") for part in content.values() if isinstance(part, dict)]
    return max((sms_count(text).parts for text in texts if text.strip()), default=0)


def chain_reach(
    definition: dict[str, Any], chain: list[str], *, notice_kind: str, mandatory: bool, content: dict[str, Any]
) -> ChainReach | None:
    chain = chain_valid(chain)
    if not chain or not definition:
        return None
    reasons = {
        f"r_{channel}": exclusion_reason(channel, notice_kind=notice_kind, mandatory=mandatory) for channel in chain
    }
    groups = (
        audience_queryset(definition)
        .order_by()
        .annotate(**reasons)
        .values("preferred_channel", *reasons)
        .annotate(n=Count("pk"))
    )
    starts = dict.fromkeys(chain, 0)
    later = dict.fromkeys(chain, 0)
    unreachable = 0
    for group in groups:
        reachable = [
            channel for channel in client_order(chain, group["preferred_channel"]) if not group[f"r_{channel}"]
        ]
        if not reachable:
            unreachable += group["n"]
            continue
        starts[reachable[0]] += group["n"]
        for channel in reachable[1:]:
            later[channel] += group["n"]
    return ChainReach(tuple(chain), starts, later, unreachable, sms_parts_of(content) if "sms" in chain else 0)


def campaign_chain_reach(campaign: Campaign) -> ChainReach | None:
    return chain_reach(
        campaign.audience,
        list(campaign.failover or []),
        notice_kind=campaign_notice_kind(campaign),
        mandatory=campaign.mandatory,
        content=campaign.content or {},
    )

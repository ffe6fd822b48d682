"""Audience resolution: the clients a definition matches, and who among them each channel can reach and why not.

The definition's language and its checks are in ``clients.audience`` (compiled to one ``Q``); here it becomes a
``Client`` queryset and counts. Nothing here loops over clients in Python, and nothing writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import BooleanField, Case, CharField, Count, ExpressionWrapper, Q, QuerySet, Value, When

from clients.audience import FIELDS, OPERATORS, AudienceError, audience_filter, audience_validate
from clients.channels import REACH
from clients.expressions import JSONListHas
from clients.frequency import frequency_capped
from clients.models import Client

__all__ = [
    "FIELDS",
    "OPERATORS",
    "SKIP_REASONS",
    "AudienceCounts",
    "AudienceError",
    "ChannelCounts",
    "audience_counts",
    "audience_filter",
    "audience_queryset",
    "audience_validate",
    "channel_reasons",
    "exclusion_conditions",
    "exclusion_reason",
]
SKIP_REASONS = (
    "inactive",
    "no_phone",
    "no_email",
    "no_browser",
    "no_device",
    "unreachable",
    "bounced",
    "opted_out",
    "muted_kind",
    "frequency_cap",
)


def audience_queryset(definition: dict[str, Any]) -> QuerySet[Client]:
    """Every client the definition matches, eligible or not (one query; no duplicate rows)."""
    return Client.objects.filter(audience_filter(definition))


def exclusion_conditions(
    channel: str, *, notice_kind: str = "", mandatory: bool = False, cap_before: datetime | None = None
) -> list[tuple[str, Q]]:
    """The skip reasons for ``channel`` with the condition of each, in the order they are checked.

    ``cap_before``: the frequency cap counts notices created before it (materialize: the send's own creation).
    """
    if channel not in REACH:
        raise AudienceError(f"Unknown channel {channel!r}.")
    reach = REACH[channel]
    conditions = [("inactive", Q(is_active=False)), (reach.missing_reason, reach.missing())]
    if reach.unreachable_field:  # an address the provider reported as permanently undeliverable
        conditions.append((reach.unreachable_reason, Q(**{f"{reach.unreachable_field}__isnull": False})))
    conditions.append(("opted_out", Q(**{reach.consent_field: False})))
    if notice_kind and not mandatory:
        conditions.append(("muted_kind", Q(JSONListHas("muted_kinds", notice_kind))))
    capped = None if mandatory else frequency_capped(before=cap_before)
    if capped is not None:
        conditions.append(("frequency_cap", capped))
    return conditions


def exclusion_reason(
    channel: str, *, notice_kind: str = "", mandatory: bool = False, cap_before: datetime | None = None
) -> Case:
    """``""`` when a client may receive a notice on ``channel``, else the ``Message.SkipReason`` that stops it.

    Reasons are checked in a fixed order (inactive, no address, unreachable address, opted out, muted kind,
    frequency cap) so each client counts once.
    """
    conditions = exclusion_conditions(channel, notice_kind=notice_kind, mandatory=mandatory, cap_before=cap_before)
    whens = [When(condition, then=Value(reason)) for reason, condition in conditions]
    return Case(*whens, default=Value(""), output_field=CharField(max_length=16))


@dataclass(frozen=True)
class ChannelCounts:
    eligible: int
    excluded: dict[str, int] = field(default_factory=dict)
    per_language: dict[str, int] = field(default_factory=dict)

    @property
    def excluded_total(self) -> int:
        return sum(self.excluded.values())


@dataclass(frozen=True)
class AudienceCounts:
    matched: int
    per_channel: dict[str, ChannelCounts] = field(default_factory=dict)


def channel_reasons(channel: str) -> tuple[str, ...]:
    """The skip reasons that can apply on ``channel``, in the order they are checked (the cap's only when set)."""
    reach = REACH[channel]
    unreachable = (reach.unreachable_reason,) if reach.unreachable_field else ()
    capped = ("frequency_cap",) if settings.NOTICE_FREQUENCY_CAP_COUNT else ()
    return ("inactive", reach.missing_reason, *unreachable, "opted_out", "muted_kind", *capped)


def audience_counts(
    definition: dict[str, Any], channels: list[str], *, notice_kind: str = "", mandatory: bool = False
) -> AudienceCounts:
    """How many clients the definition matches and, per channel, how many can be reached and why the rest cannot.

    ``per_language`` counts the eligible clients by preferred language (to check every language has content).
    """
    queryset = audience_queryset(definition).order_by()
    # One scan that evaluates each exclusion condition once per client: group by the language and the conditions'
    # booleans (a few dozen groups at most), then give each group its first reason per channel in Python.
    conditions = {
        channel: exclusion_conditions(channel, notice_kind=notice_kind, mandatory=mandatory) for channel in channels
    }
    flags: dict[str, str] = {}
    for channel_conditions in conditions.values():
        for _reason, condition in channel_conditions:
            flags.setdefault(str(condition), f"f{len(flags)}")
    expressions = {
        alias: ExpressionWrapper(condition, output_field=BooleanField())
        for channel_conditions in conditions.values()
        for _reason, condition in channel_conditions
        for alias in [flags[str(condition)]]
    }
    grouped = queryset.values("language", **expressions).annotate(n=Count("pk"))
    rows: list[dict[str, Any]] = [dict(row) for row in grouped]
    matched = sum(row["n"] for row in rows)
    per_channel: dict[str, ChannelCounts] = {}
    for channel, channel_conditions in conditions.items():
        excluded = dict.fromkeys(channel_reasons(channel), 0)
        per_language: dict[str, int] = {}
        for row in rows:
            reason = next((reason for reason, condition in channel_conditions if row[flags[str(condition)]]), "")
            if reason:
                excluded[reason] += row["n"]
            else:
                per_language[row["language"]] = per_language.get(row["language"], 0) + row["n"]
        per_channel[channel] = ChannelCounts(
            eligible=sum(per_language.values()), excluded=excluded, per_language=per_language
        )
    return AudienceCounts(matched=matched, per_channel=per_channel)

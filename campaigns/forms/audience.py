"""Step 2, Audience and channels: who hears about it, on which channels, and how many of them can be reached."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns.forms.csv_match import csv_match_clients
from campaigns.models import NOTICE_KIND_FOR, Campaign
from campaigns.selectors.failover import ChainReach, chain_reach, chain_valid, wait_minutes_default
from clients.channels import offered_channels
from clients.condition_builder import (  # noqa: F401  (re-exported for the audience step's views and templates)
    MATCH_CHOICES,
    OPERATOR_LABELS,
    ConditionForm,
    ConditionFormSet,
    condition_initial,
    conditions_from,
    field_suggestions,
)
from clients.models import Bucket, BuiltinAudience, Channel, Segment
from clients.selectors import AudienceCounts, AudienceError, audience_counts, audience_validate

FAILOVER_FIELDS = ("failover_first", "failover_then", "failover_last")
CLIENT_ID = re.compile(r"[0-9]{1,18}")
MAX_LISTED_CLIENTS = 50_000
# The condition builder (rows, operators, relative dates, suggestions) lives in clients, shared with the segment
# admin; see clients/condition_builder.py.
# The affected services of the Incident step (campaigns/forms/incident.py) and the built-in audience each suggests.
SERVICE_AUDIENCES = {
    "SMS service": BuiltinAudience.SMS_CLIENTS.value,
    "Email service": BuiltinAudience.EMAIL_CLIENTS.value,
}


class AudienceForm(forms.Form):
    builtin = forms.MultipleChoiceField(
        label=_("Everyone who uses"),
        choices=BuiltinAudience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    buckets = forms.ModelMultipleChoiceField(
        label=_("Buckets"), queryset=Bucket.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    segment = forms.ModelChoiceField(
        label=_("Saved segment"), queryset=Segment.objects.all(), required=False, empty_label=_("— none —")
    )
    match = forms.ChoiceField(
        label=_("Keep clients matching"), choices=MATCH_CHOICES, initial="all", widget=forms.RadioSelect
    )
    csv_file = forms.FileField(
        label=_("Or upload a list (CSV)"),
        required=False,
        help_text=_("One external reference, phone number or email per row."),
    )
    csv_clients = forms.CharField(required=False, widget=forms.HiddenInput)
    channels = forms.MultipleChoiceField(
        label=_("Send by"),
        choices=Channel.choices,  # narrowed to the offered channels in __init__
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose SMS, email or both.")},
    )
    mandatory = forms.BooleanField(
        label=_("Mandatory notice (also reaches clients who muted this kind)"), required=False
    )
    # The failover chain (docs/channels.md, "Failover"): up to three channels in order, each tried when the one before
    # fails or is not delivered within the wait. Its channels are added to the channels above.
    failover_first = forms.ChoiceField(label=_("Try first"), required=False)
    failover_then = forms.ChoiceField(label=_("If not delivered, then"), required=False)
    failover_last = forms.ChoiceField(label=_("And then"), required=False)
    failover_wait_minutes = forms.IntegerField(
        label=_("Not delivered after (minutes)"), required=False, min_value=1, max_value=1440
    )

    def __init__(self, *args: Any, campaign: Campaign, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.locked = campaign.parent_id is not None
        self.conditions = ConditionFormSet(
            args[0] if args else None, prefix="cond", initial=None if args else condition_initial(campaign.audience)
        )
        channels = self.fields["channels"]
        assert isinstance(channels, forms.MultipleChoiceField)
        # Viber and WhatsApp only once configured (their Infobip sender set: docs/channels.md).
        channels.choices = [(value, label) for value, label in Channel.choices if value in offered_channels()]
        for name in FAILOVER_FIELDS:
            chain_field = self.fields[name]
            assert isinstance(chain_field, forms.ChoiceField)
            chain_field.choices = [("", _("— none —")), *channels.choices]
        wait = self.fields["failover_wait_minutes"]
        wait.help_text = _("Empty: %(n)s min for this kind of notice.") % {"n": wait_minutes_default(campaign.kind)}
        self.chain: ChainReach | None = None
        self.counts: AudienceCounts | None = None
        self.csv_unmatched: list[str] = []
        if self.locked:
            for name in ("builtin", "buckets", "segment", "match", "csv_file", "csv_clients"):
                del self.fields[name]

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict[str, Any]:
        """The saved audience; before it was ever saved, the built-in audience of the affected services and the
        channels those clients can be reached on (``suggested_audience``)."""
        audience = campaign.audience or {}
        builtin, channels = audience.get("builtin") or [], campaign.channels or []
        if not audience and campaign.parent_id is None:
            builtin = suggested_builtin(campaign.incident.services)
            channels = channels or reachable_channels(campaign, {"builtin": builtin} if builtin else {})
        return {
            "builtin": builtin,
            "buckets": audience.get("buckets") or [],
            "segment": audience.get("segment"),
            "match": audience.get("match") or "all",
            "csv_clients": ",".join(map(str, audience.get("clients") or [])),
            "channels": channels,
            "mandatory": campaign.mandatory,
            **dict(zip(FAILOVER_FIELDS, campaign.failover or [], strict=False)),
            "failover_wait_minutes": campaign.failover_wait_minutes,
        }

    def initial_counts(self) -> AudienceCounts | None:
        """The counts of the suggested audience and channels, before anything was saved."""
        builtin, channels = self.initial.get("builtin") or [], self.initial.get("channels") or []
        if not builtin or not channels:
            return None
        return audience_counts(
            {"builtin": list(builtin)},
            list(channels),
            notice_kind=NOTICE_KIND_FOR.get(self.campaign.kind, ""),
            mandatory=bool(self.initial.get("mandatory")),
        )

    def is_valid(self) -> bool:
        conditions_valid = self.locked or self.conditions.is_valid()
        return super().is_valid() and conditions_valid

    def clean_csv_clients(self) -> list[int]:
        """The ids of the clients a list matched, kept in the page between uploads; anything else is refused."""
        parts = [part.strip() for part in (self.cleaned_data.get("csv_clients") or "").split(",") if part.strip()]
        if len(parts) > MAX_LISTED_CLIENTS or not all(CLIENT_ID.fullmatch(part) for part in parts):
            raise forms.ValidationError(
                _("The list of clients kept from your upload was damaged in the page; upload the file again.")
            )
        return [int(part) for part in parts]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.locked:
            definition = self.campaign.audience
        else:
            upload = data.get("csv_file")
            if upload:
                match = csv_match_clients(upload.read())
                self.csv_unmatched = match.unmatched
                data["csv_clients"] = list(dict.fromkeys([*data.get("csv_clients", []), *match.client_ids]))
                if not match.client_ids:
                    self.add_error("csv_file", _("No row of this file matches a client."))
            if not self.conditions.is_valid():
                return data
            definition = self._definition(data)
            if not any(definition.get(key) for key in ("builtin", "buckets", "segment", "clients", "conditions")):
                self.add_error(
                    "builtin",
                    _(
                        "Choose who should hear about this: clients of a service, a bucket, "
                        "a segment, conditions or a list."
                    ),
                )
                return data
            try:
                audience_validate(definition)
            except AudienceError as error:
                self.add_error(None, str(error))
                return data
        data["definition"] = definition
        self._clean_failover(data)
        if data.get("channels"):
            self.counts = audience_counts(
                definition,
                list(data["channels"]),
                notice_kind=NOTICE_KIND_FOR.get(self.campaign.kind, ""),
                mandatory=bool(data.get("mandatory")),
            )
            if not any(counts.eligible for counts in self.counts.per_channel.values()):
                self.add_error(
                    "channels",
                    _("Nobody in this audience can be reached on the chosen channels (see the exclusions beside)."),
                )
        return data

    def _clean_failover(self, data: dict[str, Any]) -> None:
        """The chain in order; its channels join the ticked ones, so a chain alone is enough."""
        picked = [data.get(name) or "" for name in FAILOVER_FIELDS]
        chain = list(dict.fromkeys(channel for channel in picked if channel))
        data["failover"] = chain_valid(chain)
        if len(chain) == 1:
            self.add_error("failover_then", _("Choose the channel to try when the first one does not deliver."))
        elif data["failover"]:
            data["channels"] = list(dict.fromkeys([*(data.get("channels") or []), *chain]))
            self.errors.pop("channels", None)
            self.chain = chain_reach(
                data["definition"],
                chain,
                notice_kind=NOTICE_KIND_FOR.get(self.campaign.kind, ""),
                mandatory=bool(data.get("mandatory")),
                content=self.campaign.content or {},
            )

    def _definition(self, data: dict[str, Any]) -> dict[str, Any]:
        definition: dict[str, Any] = {}
        if data.get("builtin"):
            definition["builtin"] = list(data["builtin"])
        if data.get("buckets"):
            definition["buckets"] = [bucket.pk for bucket in data["buckets"]]
        if data.get("segment"):
            definition["segment"] = data["segment"].pk
        if data.get("csv_clients"):
            definition["clients"] = list(data["csv_clients"])
        conditions = conditions_from(self.conditions)
        if conditions:
            definition["match"] = data.get("match") or "all"
            definition["conditions"] = conditions
        return definition


def suggested_builtin(services: list[str]) -> list[str]:
    """The built-in audiences of the affected services: an SMS outage suggests "SMS clients"."""
    return [SERVICE_AUDIENCES[service] for service in SERVICE_AUDIENCES if service in services]


def reachable_channels(campaign: Campaign, definition: dict[str, Any]) -> list[str]:
    """The channels on which someone in the audience (everyone when none is chosen) can be reached."""
    offered = offered_channels()
    counts = audience_counts(definition, offered, notice_kind=NOTICE_KIND_FOR.get(campaign.kind, ""))
    return [channel for channel in offered if counts.per_channel[channel].eligible]

"""Placeholders that would reach people empty ("Status: " and nothing after it), per language and channel.

Worked out with the renderer the workers use (``notifications.content.ContentRenderer``: which language each client
reads on each channel, the values shared by every recipient) and the placeholder language's own ``render`` (so a
``default:"…"`` filter that fills a blank is honoured), over the notice's real audience, set-based:

- a value shared by every recipient (``{{ expected_resolution }}``) is empty for everyone who reads that text;
- a client field (``{{ account }}``, ``{{ region }}``, ``{{ attributes.site }}``) is empty for the clients whose
  field is blank, counted in SQL with one grouped query per channel (by language, with one conditional count per
  field), so a notice to 200,000 clients costs a few queries and no rendering per client;
- signed links are never empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db.models import CharField, Count, Q, TextField, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from campaigns.models import Campaign
from campaigns.services.reach import campaign_notice_kind
from campaigns.services.variables import SHARED_VARIABLE_LABELS
from clients.expressions import JSONAttribute
from clients.models import Client
from clients.selectors import audience_queryset, exclusion_reason
from notifications.content import FIELDS, SEND_VARIABLES, ContentRenderer
from notifications.rendering import VARIABLES, CompiledTemplate, TemplateError, compile_template

# Placeholders named differently from the client's column they read.
CLIENT_COLUMNS = {"client_name": "name"}
ATTRIBUTE_PREFIX = "attributes."
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


@dataclass
class EmptyPlaceholder:
    """One placeholder that renders empty: for whom (language, channel, how many people)."""

    name: str
    label: str
    shared: bool  # a value for everyone (fill it in at the Message step) or a client field (fix the clients)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)  # (language, channel) → people

    @property
    def people(self) -> int:
        """People on the busiest channel (one person may read it on both channels)."""
        per_channel: dict[str, int] = {}
        for (_language, channel), n in self.counts.items():
            per_channel[channel] = per_channel.get(channel, 0) + n
        return max(per_channel.values(), default=0)

    @property
    def rows(self) -> list[tuple[str, str, int]]:
        """(language, channel, people), in the portal's language order, SMS before email."""
        known = [code for code, _name in settings.LANGUAGES]

        def order(item: tuple[tuple[str, str], int]) -> tuple[int, str, int]:
            (language, channel), _n = item
            return (known.index(language) if language in known else len(known), language, channel != "sms")

        return [(language, channel, n) for (language, channel), n in sorted(self.counts.items(), key=order) if n]

    def describe(self) -> str:
        where = ", ".join(f"{language} {channel} {n}" for language, channel, n in self.rows)
        return f"{{{{ {self.name} }}}} ({where})"


def client_blank(name: str) -> Q | None:
    """The SQL condition "this client's value of placeholder ``name`` is blank", or None if it is not a client field."""
    if name.startswith(ATTRIBUTE_PREFIX):
        key = name[len(ATTRIBUTE_PREFIX) :]
        if not _ATTRIBUTE_KEY.fullmatch(key) or "__" in key:
            return None
        text = Coalesce(JSONAttribute(key, "text"), Value(""), output_field=TextField())
        return Q(Exact(text, ""))
    column = CLIENT_COLUMNS.get(name, name)
    try:
        model_field = Client._meta.get_field(column)
    except FieldDoesNotExist:
        return None
    if not isinstance(model_field, CharField | TextField) or column in ("email", "phone"):
        return None
    blank = Q(**{column: ""})
    return blank | Q(**{f"{column}__isnull": True}) if model_field.null else blank


def _blank_placeholders(source: str, shared: dict[str, object]) -> tuple[set[str], set[str]]:
    """(shared names that render empty, client-field names that render empty when the client's value is blank)."""
    try:
        compiled = compile_template(source)
    except TemplateError:
        return set(), set()  # the Message step reports template errors; they cannot be sent anyway
    empty_shared, empty_client = set(), set()
    for part in compiled.parts:
        if isinstance(part, str):
            continue
        alone = CompiledTemplate(parts=(part,))
        if part.name in SEND_VARIABLES:
            if alone.render(shared) == "":
                empty_shared.add(part.name)
        elif client_blank(part.name) is not None and alone.render({}) == "":
            empty_client.add(part.name)
    return empty_shared, empty_client


def _label(name: str) -> str:
    if name in SHARED_VARIABLE_LABELS:
        return SHARED_VARIABLE_LABELS[name]
    if name.startswith(ATTRIBUTE_PREFIX):
        return f"The client's attribute “{name[len(ATTRIBUTE_PREFIX) :]}”"
    return VARIABLES.get(name, name)


def campaign_empty_placeholders(campaign: Campaign) -> list[EmptyPlaceholder]:
    """Every placeholder that would reach someone empty, with how many people per language and channel."""
    content = campaign.content or {}
    if not content or not campaign.audience or not campaign.channels:
        return []
    renderer = ContentRenderer(
        content=content,
        fallback_language=campaign.fallback_language,
        variables=campaign.variables,
        sms_stop_line=campaign.sms_stop_line,
    )
    found: dict[str, EmptyPlaceholder] = {}
    kind = campaign_notice_kind(campaign)
    for channel in campaign.channels:
        languages = {renderer.language_for(language, channel) for language in (*content, campaign.fallback_language)}
        blanks: dict[str, tuple[set[str], set[str]]] = {}
        for language in languages:
            parts = (content.get(language) or {}).get(channel) or {}
            shared, client = set(), set()
            for name in FIELDS.get(channel, ()):
                more_shared, more_client = _blank_placeholders(str(parts.get(name) or ""), renderer.variables)
                shared |= more_shared
                client |= more_client
            if shared or client:
                blanks[language] = (shared, client)
        if not blanks:
            continue
        client_names = sorted({name for _shared, client in blanks.values() for name in client})
        counts = {f"blank_{index}": Count("pk", filter=client_blank(name)) for index, name in enumerate(client_names)}
        eligible = (
            audience_queryset(campaign.audience)
            .annotate(reason=exclusion_reason(channel, notice_kind=kind, mandatory=campaign.mandatory))
            .filter(reason="")
            .order_by()
        )
        for grouped in eligible.values("language").annotate(people=Count("pk"), **counts):
            row: dict[str, Any] = dict(grouped)
            reads = renderer.language_for(row["language"], channel)
            shared, client = blanks.get(reads, (set(), set()))
            for name in shared:
                entry = found.setdefault(name, EmptyPlaceholder(name=name, label=_label(name), shared=True))
                entry.counts[(reads, channel)] = entry.counts.get((reads, channel), 0) + row["people"]
            for index, name in enumerate(client_names):
                if name in client and row[f"blank_{index}"]:
                    entry = found.setdefault(name, EmptyPlaceholder(name=name, label=_label(name), shared=False))
                    entry.counts[(reads, channel)] = entry.counts.get((reads, channel), 0) + row[f"blank_{index}"]
    gaps = [entry for entry in found.values() if entry.rows]
    return sorted(gaps, key=lambda entry: (not entry.shared, entry.name))

"""Audience resolution: the one place that turns an audience definition into clients, and says who is excluded.

A definition (see docs/contracts.md, "Audience language") compiles to a single ``Client`` queryset with no joins
that duplicate rows (bucket membership is an ``EXISTS`` subquery), so the dispatch can use it inside
``INSERT … SELECT`` and the outage form can count it. Nothing here loops over clients in Python, and nothing
writes. JSON fields are read with SQL written for PostgreSQL and SQLite alike, so a malformed attribute value
(text where a number is expected) never breaks the query: it just does not match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, GreaterThan, IContains, In, LessThan

from clients.expressions import JSONAttribute, JSONListHas
from clients.models import BucketMembership, BuiltinAudience, Channel, Client, Segment


class AudienceError(ValueError):
    """An audience definition that cannot be compiled; the message says what is wrong, for the form to show."""


TEXT_FIELDS = ("name", "account", "email", "phone", "language", "region", "network", "plan", "external_ref")
BOOLEAN_FIELDS = ("is_active", "uses_sms_service", "uses_email_service")
LIST_FIELDS = ("tags",)
FIELDS = TEXT_FIELDS + BOOLEAN_FIELDS + LIST_FIELDS
OPERATORS = ("is", "is_not", "in", "contains", "before", "after", "gt", "lt")
OPERATORS_FOR = {
    **{name: ("is", "is_not", "in", "contains") for name in TEXT_FIELDS},
    **{name: ("is", "is_not") for name in BOOLEAN_FIELDS},
    **{name: ("is", "is_not", "in", "contains") for name in LIST_FIELDS},
}
ATTRIBUTE_PREFIX = "attributes."
DEFINITION_KEYS = ("builtin", "buckets", "segment", "clients", "match", "conditions")
SKIP_REASONS = ("inactive", "no_phone", "no_email", "opted_out", "muted_kind")
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_SEGMENT_DEPTH = 5


# Compiling a definition ----------------------------------------------------------------------------------------


def _ids(value: Any, what: str) -> list[int]:
    if not isinstance(value, list | tuple):
        raise AudienceError(f"'{what}' must be a list of ids.")
    ids = []
    for item in value:
        if isinstance(item, bool) or not (isinstance(item, int) or (isinstance(item, str) and item.isdigit())):
            raise AudienceError(f"'{what}' must be a list of ids; {item!r} is not an id.")
        ids.append(int(item))
    return ids


def _as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise AudienceError(f"{where}: {value!r} is not true or false.")


def _as_number(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise AudienceError(f"{where}: {value!r} is not a number.")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AudienceError(f"{where}: {value!r} is not a number.") from None


def _as_iso_date(value: Any, where: str) -> str:
    text = str(value).strip() if isinstance(value, str | date) else ""
    try:
        (datetime if "T" in text or " " in text else date).fromisoformat(text)
    except ValueError:
        raise AudienceError(f"{where}: {value!r} is not a date (YYYY-MM-DD).") from None
    return text


def _as_scalar(value: Any, where: str) -> Any:
    if isinstance(value, list | dict) or value is None:
        raise AudienceError(f"{where}: the value must be a single text, number or true/false.")
    return value


def _as_list(value: Any, where: str) -> list:
    if not isinstance(value, list) or not value:
        raise AudienceError(f"{where}: 'in' needs a non-empty list of values.")
    return [_as_scalar(item, where) for item in value]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column_condition(name: str, op: str, value: Any, where: str) -> Q:
    if op not in OPERATORS_FOR[name]:
        allowed = ", ".join(OPERATORS_FOR[name])
        raise AudienceError(f"{where}: operator '{op}' does not apply to '{name}' (use {allowed}).")
    if name in BOOLEAN_FIELDS:
        flag = _as_bool(value, where)
        return Q(**{name: flag if op == "is" else not flag})
    if name in LIST_FIELDS:
        if op == "in":
            q = Q()
            for item in _as_list(value, where):
                q |= Q(JSONListHas(name, item))
            return q
        has = Q(JSONListHas(name, _as_scalar(value, where)))
        return ~has if op == "is_not" else has
    if op == "in":
        return Q(**{f"{name}__in": [_text(item) for item in _as_list(value, where)]})
    text = _text(_as_scalar(value, where))
    if op == "contains":
        return Q(**{f"{name}__icontains": text})
    return ~Q(**{name: text}) if op == "is_not" else Q(**{name: text})


def _attribute_condition(key: str, op: str, value: Any, where: str) -> Q:
    if not _ATTRIBUTE_KEY.match(key) or "__" in key:
        raise AudienceError(f"{where}: '{key}' is not a valid attribute name (letters, digits and _).")
    if op in ("gt", "lt"):
        lookup = GreaterThan if op == "gt" else LessThan
        return Q(lookup(JSONAttribute(key, "number"), _as_number(value, where)))
    if op in ("before", "after"):
        lookup = LessThan if op == "before" else GreaterThan
        return Q(lookup(JSONAttribute(key, "date"), _as_iso_date(value, where)))
    text = Coalesce(JSONAttribute(key, "text"), Value(""), output_field=TextField())
    if op == "in":
        return Q(In(text, [_text(item) for item in _as_list(value, where)]))
    scalar = _as_scalar(value, where)
    if op == "contains":
        return Q(IContains(text, _text(scalar)))
    if isinstance(scalar, bool):
        matched = Q(**{f"attributes__{key}": scalar})
        return ~matched | ~Q(attributes__has_key=key) if op == "is_not" else matched
    matched = Q(Exact(text, _text(scalar)))
    return ~matched if op == "is_not" else matched


def _condition(index: int, condition: Any) -> Q:
    where = f"Condition {index}"
    if not isinstance(condition, dict):
        raise AudienceError(f"{where}: must be an object with field, op and value.")
    name, op = condition.get("field"), condition.get("op")
    if op not in OPERATORS:
        raise AudienceError(f"{where}: unknown operator {op!r} (use {', '.join(OPERATORS)}).")
    if "value" not in condition:
        raise AudienceError(f"{where}: a value is required.")
    value = condition["value"]
    if isinstance(name, str) and name.startswith(ATTRIBUTE_PREFIX):
        return _attribute_condition(name[len(ATTRIBUTE_PREFIX) :], op, value, where)
    if name not in FIELDS:
        raise AudienceError(f"{where}: unknown field {name!r} (use {', '.join(FIELDS)} or attributes.<key>).")
    return _column_condition(name, op, value, where)


def _conditions(definition: dict) -> Q | None:
    match = definition.get("match", "all") or "all"
    if match not in ("all", "any"):
        raise AudienceError(f"'match' must be 'all' or 'any', not {match!r}.")
    conditions = definition.get("conditions") or []
    if not isinstance(conditions, list):
        raise AudienceError("'conditions' must be a list.")
    compiled = [_condition(index, condition) for index, condition in enumerate(conditions, start=1)]
    if not compiled:
        return None
    combined = compiled[0]
    for q in compiled[1:]:
        combined = combined & q if match == "all" else combined | q
    return combined


_EVERYONE = Q(pk__isnull=False)


def _builtin(name: Any) -> Q | None:
    if name == BuiltinAudience.SMS_CLIENTS:
        return Q(uses_sms_service=True)
    if name == BuiltinAudience.EMAIL_CLIENTS:
        return Q(uses_email_service=True)
    if name == BuiltinAudience.ALL_CLIENTS:
        return None
    raise AudienceError(f"Unknown built-in audience {name!r} (use {', '.join(BuiltinAudience.values)}).")


def _base(definition: dict, seen: tuple[int, ...]) -> Q | None:
    """The union of the given sources; ``None`` means every client. A source given empty contributes nobody."""
    sources = [key for key in ("builtin", "buckets", "segment", "clients") if definition.get(key) is not None]
    if not sources:
        return None
    parts: list[Q] = []
    if "builtin" in sources:
        builtin = definition["builtin"]
        if not isinstance(builtin, list | tuple):
            raise AudienceError("'builtin' must be a list.")
        for name in builtin:
            q = _builtin(name)
            if q is None:
                return None
            parts.append(q)
    if "buckets" in sources:
        bucket_ids = _ids(definition["buckets"], "buckets")
        if bucket_ids:
            parts.append(Q(Exists(BucketMembership.objects.filter(client=OuterRef("pk"), bucket_id__in=bucket_ids))))
    if "segment" in sources:
        q = _segment(definition["segment"], seen)
        if q is None:
            return None
        parts.append(q)
    if "clients" in sources:
        client_ids = _ids(definition["clients"], "clients")
        if client_ids:
            parts.append(Q(pk__in=client_ids))
    if not parts:
        return ~_EVERYONE
    union = parts[0]
    for q in parts[1:]:
        union |= q
    return union


def _segment(segment_id: Any, seen: tuple[int, ...]) -> Q | None:
    if isinstance(segment_id, bool) or not (isinstance(segment_id, int) or str(segment_id).isdigit()):
        raise AudienceError(f"'segment' must be a segment id, not {segment_id!r}.")
    segment_id = int(segment_id)
    if segment_id in seen or len(seen) >= _MAX_SEGMENT_DEPTH:
        raise AudienceError(f"Segment {segment_id} refers back to itself.")
    definition = Segment.objects.filter(pk=segment_id).values_list("definition", flat=True).first()
    if definition is None:
        raise AudienceError(f"Segment {segment_id} does not exist.")
    try:
        return _compile(definition, (*seen, segment_id))
    except AudienceError as error:
        raise AudienceError(f"Segment {segment_id}: {error}") from None


def _compile(definition: Any, seen: tuple[int, ...] = ()) -> Q | None:
    if not isinstance(definition, dict):
        raise AudienceError("An audience definition must be a JSON object.")
    unknown = sorted(set(definition) - set(DEFINITION_KEYS))
    if unknown:
        raise AudienceError(f"Unknown key(s) {', '.join(unknown)} (use {', '.join(DEFINITION_KEYS)}).")
    base, conditions = _base(definition, seen), _conditions(definition)
    if base is None:
        return conditions
    return base if conditions is None else base & conditions


# Public selectors ----------------------------------------------------------------------------------------------


def audience_filter(definition: dict) -> Q:
    """The definition as one ``Q`` on ``Client``; raises ``AudienceError`` when it is not valid."""
    return _compile(definition) or _EVERYONE


def audience_queryset(definition: dict) -> QuerySet[Client]:
    """Every client the definition matches, eligible or not (one query; no duplicate rows)."""
    return Client.objects.filter(audience_filter(definition))


def exclusion_conditions(channel: str, *, notice_kind: str = "", mandatory: bool = False) -> list[tuple[str, Q]]:
    """The skip reasons for ``channel`` with the condition of each, in the order they are checked."""
    if channel not in Channel.values:
        raise AudienceError(f"Unknown channel {channel!r}.")
    sms = channel == Channel.SMS
    conditions = [
        ("inactive", Q(is_active=False)),
        ("no_phone" if sms else "no_email", Q(phone="") if sms else Q(email="")),
        ("opted_out", Q(sms_consent=False) if sms else Q(email_consent=False)),
    ]
    if notice_kind and not mandatory:
        conditions.append(("muted_kind", Q(JSONListHas("muted_kinds", notice_kind))))
    return conditions


def exclusion_reason(channel: str, *, notice_kind: str = "", mandatory: bool = False) -> Case:
    """``""`` when a client may receive a notice on ``channel``, else the ``Message.SkipReason`` that stops it.

    Reasons are checked in a fixed order (inactive, no address, opted out, muted kind) so each client counts once.
    """
    whens = [
        When(condition, then=Value(reason))
        for reason, condition in exclusion_conditions(channel, notice_kind=notice_kind, mandatory=mandatory)
    ]
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
    """The skip reasons that can apply on ``channel``, in the order they are checked."""
    return ("inactive", "no_phone" if channel == Channel.SMS else "no_email", "opted_out", "muted_kind")


def audience_counts(
    definition: dict, channels: list[str], *, notice_kind: str = "", mandatory: bool = False
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
    rows = list(queryset.values("language", **expressions).annotate(n=Count("pk")))
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


def audience_validate(definition: Any) -> None:
    """Raise ``AudienceError`` when ``definition`` would not compile (forms call this before saving)."""
    _compile(definition)

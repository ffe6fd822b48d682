"""Audience definitions compiled to one ``Q`` on ``Client``: the audience language (docs/contracts.md).

A definition compiles to a single condition with no joins that duplicate rows (bucket membership is an ``EXISTS``
subquery), so the dispatch can use it inside ``INSERT … SELECT`` and the outage form can count it. Nothing here
runs a query except reading a referenced segment's definition. JSON fields are read with SQL written for
PostgreSQL and SQLite alike, so a malformed attribute value (text where a number is expected) never breaks the
query: it just does not match. Every value is checked first (``clients.audience_values``), so a definition either
compiles to a query the database can run or raises ``AudienceError`` with the reason.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, TextField, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, GreaterThan, GreaterThanOrEqual, IContains, In, LessThan
from django.utils import timezone

from clients.audience_values import (
    MAX_CONDITIONS,
    AudienceError,
    as_bool,
    as_id,
    as_ids,
    as_iso_date,
    as_list,
    as_number,
    as_period,
    as_scalar,
    as_text,
    period_start,
    shown,
)
from clients.expressions import JSONAttribute, JSONListHas
from clients.models import BucketMembership, BuiltinAudience, Segment

__all__ = ["FIELDS", "OPERATORS", "AudienceError", "audience_filter", "audience_validate"]

TEXT_FIELDS = ("name", "account", "email", "phone", "language", "region", "network", "plan", "external_ref")
BOOLEAN_FIELDS = ("is_active", "uses_sms_service", "uses_email_service")
LIST_FIELDS = ("tags",)
FIELDS = TEXT_FIELDS + BOOLEAN_FIELDS + LIST_FIELDS
OPERATORS = ("is", "is_not", "in", "contains", "before", "after", "older_than", "within_last", "gt", "lt")
OPERATORS_FOR = {
    **{name: ("is", "is_not", "in", "contains") for name in TEXT_FIELDS},
    **{name: ("is", "is_not") for name in BOOLEAN_FIELDS},
    **{name: ("is", "is_not", "in", "contains") for name in LIST_FIELDS},
}
ATTRIBUTE_PREFIX = "attributes."
DEFINITION_KEYS = ("builtin", "buckets", "segment", "clients", "match", "conditions")
_ATTRIBUTE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_MAX_SEGMENT_DEPTH = 5


# Compiling a definition ----------------------------------------------------------------------------------------


def _column_condition(name: str, op: str, value: Any, where: str) -> Q:
    if op not in OPERATORS_FOR[name]:
        allowed = ", ".join(OPERATORS_FOR[name])
        raise AudienceError(f"{where}: operator {shown(op)} does not apply to '{name}' (use {allowed}).")
    if name in BOOLEAN_FIELDS:
        flag = as_bool(value, where)
        return Q(**{name: flag if op == "is" else not flag})
    if name in LIST_FIELDS:
        if op == "in":
            q = Q()
            for item in as_list(value, where):
                q |= Q(JSONListHas(name, item))
            return q
        has = Q(JSONListHas(name, as_scalar(value, where)))
        return ~has if op == "is_not" else has
    if op == "in":
        return Q(**{f"{name}__in": [as_text(item) for item in as_list(value, where)]})
    text = as_text(as_scalar(value, where))
    if op == "contains":
        return Q(**{f"{name}__icontains": text})
    return ~Q(**{name: text}) if op == "is_not" else Q(**{name: text})


def _attribute_condition(key: str, op: str, value: Any, where: str) -> Q:
    if not _ATTRIBUTE_KEY.fullmatch(key) or "__" in key:
        raise AudienceError(f"{where}: {shown(key)} is not a valid attribute name (letters, digits and _).")
    if op in ("gt", "lt"):
        lookup = GreaterThan if op == "gt" else LessThan
        return Q(lookup(JSONAttribute(key, "number"), as_number(value, where)))
    if op in ("before", "after"):
        lookup = LessThan if op == "before" else GreaterThan
        return Q(lookup(JSONAttribute(key, "date"), as_iso_date(value, where)))
    if op in ("older_than", "within_last"):
        return _relative_date(key, op, as_period(value, where))
    text = Coalesce(JSONAttribute(key, "text"), Value(""), output_field=TextField())
    if op == "in":
        return Q(In(text, [as_text(item) for item in as_list(value, where)]))
    scalar = as_scalar(value, where)
    if op == "contains":
        return Q(IContains(text, as_text(scalar)))
    if isinstance(scalar, bool):
        matched = Q(**{f"attributes__{key}": scalar})
        return ~matched | ~Q(attributes__has_key=key) if op == "is_not" else matched
    matched = Q(Exact(text, as_text(scalar)))
    return ~matched if op == "is_not" else matched


def _relative_date(key: str, op: str, period: tuple[int, str]) -> Q:
    """ "More than 6 months ago" / "within the last 30 days", measured from today when the audience is computed (a
    send's, a count's), so a saved segment never goes stale. Dates compare as ISO text: a day, or a time that day."""
    today = timezone.localdate()
    start = period_start(*period, today).isoformat()
    value = JSONAttribute(key, "date")
    if op == "older_than":
        return Q(LessThan(value, start))
    tomorrow = (today + timedelta(days=1)).isoformat()
    return Q(GreaterThanOrEqual(value, start)) & Q(LessThan(value, tomorrow))


def _condition(index: int, condition: Any) -> Q:
    where = f"Condition {index}"
    if not isinstance(condition, dict):
        raise AudienceError(f"{where}: must be an object with field, op and value.")
    extra = [key for key in condition if key not in ("field", "op", "value")]
    if extra:
        raise AudienceError(f"{where}: unknown key {shown(extra[0])} (use field, op and value).")
    name, op = condition.get("field"), condition.get("op")
    if op not in OPERATORS:
        raise AudienceError(f"{where}: unknown operator {shown(op)} (use {', '.join(OPERATORS)}).")
    if "value" not in condition:
        raise AudienceError(f"{where}: a value is required.")
    value = condition["value"]
    if isinstance(name, str) and name.startswith(ATTRIBUTE_PREFIX):
        return _attribute_condition(name[len(ATTRIBUTE_PREFIX) :], op, value, where)
    if name not in FIELDS:
        raise AudienceError(f"{where}: unknown field {shown(name)} (use {', '.join(FIELDS)} or attributes.<key>).")
    return _column_condition(name, op, value, where)


def _conditions(definition: dict[str, Any]) -> Q | None:
    match = definition.get("match", "all") or "all"
    if match not in ("all", "any"):
        raise AudienceError(f"'match' must be 'all' or 'any', not {shown(match)}.")
    conditions = definition.get("conditions") or []
    if not isinstance(conditions, list):
        raise AudienceError("'conditions' must be a list.")
    if len(conditions) > MAX_CONDITIONS:
        raise AudienceError(f"{len(conditions):,} conditions; at most {MAX_CONDITIONS}.")
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
    raise AudienceError(f"Unknown built-in audience {shown(name)} (use {', '.join(BuiltinAudience.values)}).")


def _base(definition: dict[str, Any], seen: tuple[int, ...]) -> Q | None:
    """The union of the given sources; ``None`` means every client. A source given empty contributes nobody."""
    sources = [key for key in ("builtin", "buckets", "segment", "clients") if definition.get(key) is not None]
    if not sources:
        return None
    parts: list[Q] = []
    if "builtin" in sources:
        builtin = definition["builtin"]
        if not isinstance(builtin, list | tuple) or len(builtin) > len(BuiltinAudience.values):
            raise AudienceError("'builtin' must be a list of built-in audiences.")
        compiled = [_builtin(name) for name in builtin]  # every name checked, even after 'all_clients'
        if any(q is None for q in compiled):
            return None
        parts += [q for q in compiled if q is not None]
    if "buckets" in sources:
        bucket_ids = as_ids(definition["buckets"], "buckets")
        if bucket_ids:
            parts.append(Q(Exists(BucketMembership.objects.filter(client=OuterRef("pk"), bucket_id__in=bucket_ids))))
    if "segment" in sources:
        q = _segment(definition["segment"], seen)
        if q is None:
            return None
        parts.append(q)
    if "clients" in sources:
        client_ids = as_ids(definition["clients"], "clients")
        if client_ids:
            parts.append(Q(pk__in=client_ids))
    if not parts:
        return ~_EVERYONE
    union = parts[0]
    for q in parts[1:]:
        union |= q
    return union


def _segment(segment_id: Any, seen: tuple[int, ...]) -> Q | None:
    segment_id = as_id(segment_id, "'segment'")
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
    unknown = sorted(str(key) for key in set(definition) - set(DEFINITION_KEYS))
    if unknown:
        listed = ", ".join(shown(key) for key in unknown[:5]) + (", …" if len(unknown) > 5 else "")
        raise AudienceError(f"Unknown key(s) {listed} (use {', '.join(DEFINITION_KEYS)}).")
    base, conditions = _base(definition, seen), _conditions(definition)
    if base is None:
        return conditions
    return base if conditions is None else base & conditions


def audience_filter(definition: dict[str, Any]) -> Q:
    """The definition as one ``Q`` on ``Client``; raises ``AudienceError`` when it is not valid."""
    return _compile(definition) or _EVERYONE


def audience_validate(definition: Any) -> None:
    """Raise ``AudienceError`` when ``definition`` would not compile (forms call this before saving)."""
    _compile(definition)

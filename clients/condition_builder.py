"""The condition builder: rows of field, operator and value that narrow an audience, as forms.

One builder for the outage form's audience step (campaigns) and the segment admin (clients/forms.py), so a
condition reads and behaves the same in both. Field names are suggested from the registry: the client fields and
the attribute names clients actually hold (``clients.attribute_keys``).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.attribute_keys import attribute_keys
from clients.audience import ATTRIBUTE_PREFIX, FIELDS, OPERATORS

OPERATOR_LABELS = {
    "is": _("is"),
    "is_not": _("is not"),
    "in": _("is one of (comma-separated)"),
    "contains": _("contains"),
    "before": _("is before (date)"),
    "after": _("is after (date)"),
    "older_than": _("is more than … ago (e.g. 6 months)"),
    "within_last": _("is within the last … (e.g. 30 days)"),
    "gt": _("is greater than"),
    "lt": _("is less than"),
}
MATCH_CHOICES = [("all", _("All conditions (AND)")), ("any", _("Any condition (OR)"))]
MAX_ROWS = 20


class ConditionForm(forms.Form):
    """One row of 'field / operator / value'; a blank row is ignored."""

    field = forms.CharField(
        label=_("Field"),
        required=False,
        max_length=80,
        widget=forms.TextInput(attrs={"list": "condition-fields", "placeholder": _("region, plan, attributes.x…")}),
    )
    op = forms.ChoiceField(label=_("Operator"), choices=[(op, OPERATOR_LABELS[op]) for op in OPERATORS], required=False)
    value = forms.CharField(label=_("Value"), required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("field") and not (data.get("value") or "").strip():
            self.add_error("value", _("Give a value for this condition, or clear the field to remove it."))
        if (data.get("value") or "").strip() and not data.get("field"):
            self.add_error("field", _("Name the client field this value applies to."))
        return data

    def condition(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data or data.get("DELETE") or not data.get("field"):
            return None
        value: object = data["value"].strip()
        if data["op"] == "in":
            value = [item.strip() for item in str(value).split(",") if item.strip()]
        return {"field": data["field"].strip(), "op": data["op"], "value": value}


ConditionFormSet = forms.formset_factory(ConditionForm, extra=1, can_delete=True, max_num=MAX_ROWS)


def condition_initial(definition: dict[str, Any]) -> list[dict[str, Any]]:
    """A definition's conditions as the builder's rows."""
    rows = []
    for condition in (definition or {}).get("conditions") or []:
        if not isinstance(condition, dict):
            continue
        value = condition.get("value")
        if isinstance(value, dict) and {"amount", "unit"} <= set(value):
            value = f"{value['amount']} {value['unit']}"
        rows.append(
            {
                "field": condition.get("field"),
                "op": condition.get("op"),
                "value": ", ".join(map(str, value)) if isinstance(value, list) else value,
            }
        )
    return rows


def conditions_from(formset: Any) -> list[dict[str, Any]]:
    """The builder's rows as a definition's conditions (blank and removed rows left out)."""
    return [row for row in (form.condition() for form in formset.forms) if row]


def field_suggestions() -> list[str]:
    """What the field box offers: every client field, then each attribute name clients hold."""
    return [*FIELDS, *(f"{ATTRIBUTE_PREFIX}{key}" for key in attribute_keys())]

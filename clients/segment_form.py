"""The segment admin's form: who is in a saved segment, built with the same condition builder as the outage form.

An admin ticks built-in audiences, buckets or another segment, then narrows with condition rows (field, operator,
value; relative dates such as "is more than 6 months ago" included); the form turns them into the audience
language (``clients.audience``), checks it, and keeps any part of a stored definition the builder does not show
(a list of client ids made by the API). Nobody edits JSON by hand.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.audience_values import json_storable
from clients.condition_builder import MATCH_CHOICES, ConditionFormSet, condition_initial, conditions_from
from clients.models import Bucket, BuiltinAudience, Segment
from clients.selectors import AudienceError, audience_validate

BUILDER_KEYS = ("builtin", "buckets", "segment", "match", "conditions")


class SegmentAdminForm(forms.ModelForm):
    builtin = forms.MultipleChoiceField(
        label=_("Everyone who uses"),
        choices=BuiltinAudience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    buckets = forms.ModelMultipleChoiceField(
        label=_("Buckets"), queryset=Bucket.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    include = forms.ModelChoiceField(
        label=_("Clients of another segment"),
        queryset=Segment.objects.all(),
        required=False,
        empty_label=_("— none —"),
    )
    match = forms.ChoiceField(
        label=_("Keep clients matching"), choices=MATCH_CHOICES, initial="all", widget=forms.RadioSelect
    )

    class Meta:
        model = Segment
        fields = ("name", "description")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.instance.definition if isinstance(self.instance.definition, dict) else {}
        self.stored = stored
        include = self.fields["include"]
        assert isinstance(include, forms.ModelChoiceField)
        if self.instance.pk:
            include.queryset = Segment.objects.exclude(pk=self.instance.pk)
        if not self.is_bound:
            self.initial.update(
                builtin=[name for name in stored.get("builtin") or [] if name in BuiltinAudience.values],
                buckets=[pk for pk in stored.get("buckets") or [] if isinstance(pk, int)],
                include=stored.get("segment") if isinstance(stored.get("segment"), int) else None,
                match=stored.get("match") if stored.get("match") in ("all", "any") else "all",
            )
        self.conditions = ConditionFormSet(
            self.data if self.is_bound else None,
            prefix="cond",
            initial=None if self.is_bound else condition_initial(stored),
        )

    def is_valid(self) -> bool:
        conditions_valid = self.conditions.is_valid()
        return super().is_valid() and conditions_valid

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.conditions.is_valid():
            return data
        definition = {key: value for key, value in self.stored.items() if key not in BUILDER_KEYS}
        if data.get("builtin"):
            definition["builtin"] = list(data["builtin"])
        if data.get("buckets"):
            definition["buckets"] = [bucket.pk for bucket in data["buckets"]]
        if data.get("include"):
            definition["segment"] = data["include"].pk
        conditions = conditions_from(self.conditions)
        if conditions:
            definition["match"] = data.get("match") or "all"
            definition["conditions"] = conditions
        if not any(definition.get(key) for key in ("builtin", "buckets", "segment", "clients", "conditions")):
            raise forms.ValidationError(
                _("Choose who is in this segment: clients of a service, buckets, another segment, or conditions.")
            )
        if not json_storable(definition):
            raise forms.ValidationError(_("A value holds a character that cannot be stored (NUL, lone surrogate)."))
        try:
            audience_validate(definition)
        except AudienceError as error:
            raise forms.ValidationError(str(error)) from None
        data["definition"] = definition
        return data

    def save(self, commit: bool = True) -> Segment:
        self.instance.definition = self.cleaned_data["definition"]
        return super().save(commit=commit)

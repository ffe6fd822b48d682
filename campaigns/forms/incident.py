"""Step 1, Incident: what broke, since when, until when, and how badly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.forms.fields import LocalDateTimeField
from campaigns.models import Incident, IncidentKind, Severity

SERVICES = [("SMS service", _("SMS service")), ("Email service", _("Email service"))]


class ServicesField(forms.MultipleChoiceField):
    """Marked required (a ticked service or one named in the next field); the form's ``clean`` checks which."""

    def validate(self, value: Any) -> None:
        if value:
            super().validate(value)


class IncidentForm(forms.Form):
    title = forms.CharField(
        label=_("What happened?"),
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. SMS delivery delayed in France"), "autofocus": True}),
    )
    kind = forms.ChoiceField(
        label=_("Kind of notice"), choices=IncidentKind.choices, initial=IncidentKind.OUTAGE, widget=forms.RadioSelect
    )
    services = ServicesField(
        label=_("Affected services"), choices=SERVICES, required=True, widget=forms.CheckboxSelectMultiple
    )
    other_services = forms.CharField(
        label=_("Other affected services"),
        required=False,
        max_length=200,
        help_text=_("Comma-separated, e.g. Voice API, Customer portal."),
    )
    started_at = LocalDateTimeField(label=_("Started at"), help_text=_("Planned maintenance: when the window starts."))
    expected_resolution_at = LocalDateTimeField(
        label=_("Expected resolution"), required=False, help_text=_("Planned maintenance: when the window ends.")
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MAJOR)
    internal_note = forms.CharField(
        label=_("Internal note"),
        required=False,
        help_text=_("Only staff see this; it is never sent."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    @classmethod
    def initial_for(cls, incident: Incident) -> dict[str, Any]:
        """The form's values for an existing incident (free-text services split from the known ones)."""
        known = {value for value, _label in SERVICES}
        return {
            "title": incident.title,
            "kind": incident.kind,
            "services": [s for s in incident.services if s in known],
            "other_services": ", ".join(s for s in incident.services if s not in known),
            "started_at": incident.started_at,
            "expected_resolution_at": incident.expected_resolution_at,
            "severity": incident.severity,
            "internal_note": incident.internal_note,
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        services = list(data.get("services") or [])
        services += [s.strip() for s in (data.get("other_services") or "").split(",") if s.strip()]
        if not services and not self.has_error("services"):
            self.add_error("services", _("Tick at least one affected service, or name it below."))
        data["services"] = list(dict.fromkeys(services))
        started, expected = data.get("started_at"), data.get("expected_resolution_at")
        if started and started > timezone.now() + timedelta(days=366):
            self.add_error("started_at", _("The start is more than a year away; check the date."))
        if started and expected and expected <= started:
            self.add_error("expected_resolution_at", _("The expected resolution must be after the start."))
        if (
            data.get("kind") == IncidentKind.MAINTENANCE
            and not expected
            and not self.has_error("expected_resolution_at")
        ):
            self.add_error("expected_resolution_at", _("A planned maintenance needs the end of its window."))
        return data

    def incident_fields(self) -> dict:
        data = self.cleaned_data
        return {
            key: data[key]
            for key in (
                "title",
                "kind",
                "services",
                "started_at",
                "expected_resolution_at",
                "severity",
                "internal_note",
            )
        }

"""Steps 6 and 7: the test send and the final confirmation of the number of recipients."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clients.models import TestRecipient


class TestSendForm(forms.Form):
    __test__ = False  # not a pytest test class

    test_recipients = forms.ModelMultipleChoiceField(
        label=_("Internal test recipients"),
        queryset=TestRecipient.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one colleague to receive the test.")},
    )


EMPTY_REFUSED = _("Fill in the empty values (the Message step), or tick this box to send with the gaps.")


class ConfirmForm(forms.Form):
    """Ticking the box that repeats the count is the confirmation; a changed count asks again. When placeholders
    would reach people empty, a second box accepts that (the door refuses without it)."""

    expected = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(error_messages={"required": _("Tick the box to confirm the number of people.")})
    emergency_reason = forms.CharField(
        label=_("Why it cannot wait for approval"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Shown on the notice's page, on the dashboard and in the record; the approvers are told at once."),
    )

    accept_empty = forms.BooleanField(
        label=_("Send anyway: I accept that these people read nothing in place of the placeholders above"),
        required=False,
        help_text=_("Recorded in the notice's record with your name."),
    )

    def __init__(self, *args: Any, recipients: int, label: str, gaps: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.recipients = recipients
        self.fields["confirm"].label = label
        self.fields["expected"].initial = recipients
        if not gaps:
            del self.fields["accept_empty"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "accept_empty" in self.fields and not data.get("accept_empty"):
            self.add_error("accept_empty", EMPTY_REFUSED)
        if data.get("expected") is not None and data["expected"] != self.recipients:
            raise forms.ValidationError(
                _(
                    "The audience changed from %(old)s to %(new)s recipients since this page opened; check the new "
                    "number and confirm again."
                )
                % {"old": data["expected"], "new": self.recipients}
            )
        return data

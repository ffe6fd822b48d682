"""The outage form's one-tap question (Message step): its wording, shown above the tally on the notice page, and
its answers, one per line as "key = label" ("1 = Still without service"). The message text asks the question;
the answers say what the notice page counts (campaigns/selectors/replies.py)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign
from campaigns.selectors.replies import MAX_OPTIONS
from notifications.replies.parse import answer_of


def options_text(options: list[dict[str, str]]) -> str:
    return "\n".join(f"{option['key']} = {option['label']}" for option in options if isinstance(option, dict))


def parse_options(text: str) -> list[dict[str, str]]:
    """ "1 = Still without service" lines → [{"key": "1", "label": …}]; keys are one-tap answers (letters, digits)."""
    options: list[dict[str, str]] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        raw_key, _sep, label = line.partition("=")
        key = answer_of(raw_key)
        if not key or len(key) > 10 or not label.strip():
            raise ValidationError(_("Line %(n)s: write an answer as “1 = Still without service”.") % {"n": number})
        if key in (option["key"] for option in options):
            raise ValidationError(_("The answer %(key)s is listed twice.") % {"key": key})
        options.append({"key": key, "label": label.strip()[:80]})
    if len(options) > MAX_OPTIONS:
        raise ValidationError(_("At most %(n)s answers.") % {"n": MAX_OPTIONS})
    return options


class QuestionFields(forms.Form):
    """Mixed into the Message step's form."""

    reply_question = forms.CharField(
        label=_("One-tap question (optional)"),
        required=False,
        max_length=160,
        help_text=_("Ask it in the text too, e.g. “Reply 1 if you are still without service, 2 if it works”."),
    )
    reply_options = forms.CharField(
        label=_("Answers to count"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "1 = Still without service\n2 = Service is back"}),
        help_text=_("One per line: the answer customers reply, “=”, what it means. The notice page tallies them."),
    )

    def clean_reply_options(self) -> list[dict[str, str]]:
        return parse_options(self.cleaned_data.get("reply_options") or "")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reply_question") and not data.get("reply_options") and "reply_options" not in self.errors:
            self.add_error("reply_options", _("List the answers the question offers."))
        return data

    @staticmethod
    def question_initial(campaign: Campaign) -> dict[str, Any]:
        options = campaign.reply_options if isinstance(campaign.reply_options, list) else []
        return {"reply_question": campaign.reply_question, "reply_options": options_text(options)}

"""Length limits beside the field: the outage form's message step and the template page refuse an over-long field
with the limit named next to it, before anything is parsed or stored."""

from __future__ import annotations

import pytest

from campaigns.forms.message import MessageForm, field_name
from campaigns.forms.templates import MessageTemplateForm
from notifications.content import FIELD_MAX_LENGTHS
from tests.wizard.factories import CampaignFactory

pytestmark = pytest.mark.django_db
FIELDS = [(channel, part) for channel, parts in FIELD_MAX_LENGTHS.items() for part in parts]


def _valid(language: str = "en") -> dict[str, str]:
    return {
        field_name(language, "sms", "text"): "Hello {{ client_name }}",
        field_name(language, "email", "subject"): "Outage",
        field_name(language, "email", "text"): "Hello",
        field_name(language, "email", "html"): "<p>Hello</p>",
    }


@pytest.mark.parametrize(("channel", "part"), FIELDS)
def test_template_page_shows_the_limit_beside_the_field(channel: str, part: str) -> None:
    limit = FIELD_MAX_LENGTHS[channel][part]
    data = {"name": "Long one", "kind": "outage", **_valid()}
    data[field_name("en", channel, part)] = "{{" * (limit // 2 + 1)
    form = MessageTemplateForm(data=data)
    assert not form.is_valid()
    errors = form.errors[field_name("en", channel, part)]
    assert any(f"at most {limit} characters" in error for error in errors), errors
    field = form.fields[field_name("en", channel, part)]
    assert field.widget.attrs["maxlength"] == str(limit)


@pytest.mark.parametrize(("channel", "part"), FIELDS)
def test_outage_form_message_step_shows_the_limit_beside_the_field(channel: str, part: str, settings) -> None:
    settings.INFOBIP_VIBER_SENDER = "OutageInfo"  # Viber and WhatsApp are offered only once configured
    settings.INFOBIP_WHATSAPP_SENDER = "447491163862"
    limit = FIELD_MAX_LENGTHS[channel][part]
    campaign = CampaignFactory(channels=sorted({"sms", "email", channel}))
    data = {"fallback_language": "en", **_valid()}
    data[field_name("en", channel, part)] = "x" * (limit + 1)
    form = MessageForm(data=data, campaign=campaign, languages=["en"])
    assert not form.is_valid()
    assert any(f"at most {limit} characters" in error for error in form.errors[field_name("en", channel, part)])

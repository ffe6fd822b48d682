"""The channel registry: every channel has its client side and its engine side, content is checked and rendered by
its module, and the new channels are offered (outage form, preference page) only once configured."""

from __future__ import annotations

import pytest

from clients import links
from clients.channels import REACH, offered_channels
from clients.models import Channel, ConsentEvent
from clients.selectors import audience_counts, channel_reasons
from notifications.channels import CHANNELS, channel_spec, configured_channels
from notifications.content import content_errors, render_message
from tests.factories import ClientFactory

SENDERS = {"INFOBIP_VIBER_SENDER": "OutageInfo", "INFOBIP_WHATSAPP_SENDER": "447491163862"}


@pytest.fixture
def senders(settings):
    for name, value in SENDERS.items():
        setattr(settings, name, value)


def test_every_channel_has_both_sides():
    """Adding a channel is its module here and its row in clients.channels: neither may be forgotten."""
    assert set(CHANNELS) == set(REACH) == set(Channel.values)


def test_new_channels_are_offered_only_once_their_sender_is_set(settings):
    settings.INFOBIP_VIBER_SENDER = settings.INFOBIP_WHATSAPP_SENDER = ""
    assert configured_channels() == offered_channels() == ["sms", "email"]
    settings.INFOBIP_VIBER_SENDER = "OutageInfo"
    assert configured_channels() == ["sms", "email", "viber"]


def test_skip_reasons_of_the_phone_channels():
    """Viber and WhatsApp have no unreachable mark of their own (it is SMS's): no such reason on them."""
    assert channel_reasons("viber") == ("inactive", "no_phone", "opted_out", "muted_kind")
    assert channel_reasons("sms") == ("inactive", "no_phone", "unreachable", "opted_out", "muted_kind")


@pytest.mark.django_db
def test_opt_in_is_needed_on_viber_and_whatsapp():
    """The defaults: SMS and email reach a new client, Viber and WhatsApp only once they opted in."""
    ClientFactory(phone="+33612345678")
    ClientFactory(phone="+33612345679", viber_consent=True)
    ClientFactory(phone="")
    counts = audience_counts({"builtin": ["all_clients"]}, ["sms", "viber", "whatsapp"])
    assert counts.per_channel["sms"].eligible == 2
    assert counts.per_channel["viber"].eligible == 1
    assert counts.per_channel["viber"].excluded == {"inactive": 0, "no_phone": 1, "opted_out": 1, "muted_kind": 0}
    assert counts.per_channel["whatsapp"].eligible == 0


def test_a_channel_not_configured_is_refused_at_every_door(settings):
    """content_errors is what the outage form, the API and notify ask: an unconfigured channel is an error there."""
    settings.INFOBIP_VIBER_SENDER = ""
    assert "viber" in content_errors({"en": {"viber": {"text": "Hi"}}}, ["viber"])
    settings.INFOBIP_VIBER_SENDER = "OutageInfo"
    assert content_errors({"en": {"viber": {"text": "Hi"}}}, ["viber"]) == {}


def test_content_is_checked_by_each_channel():
    content = {
        "en": {
            "viber": {"text": " "},
            "whatsapp": {"template": "Outage Notice"},
            "sms": {"text": "ok"},
        },
        "fr": {"viber": {"text": "x" * 1001}, "whatsapp": {"template": "", "text": ""}},
    }
    errors = content_errors(content, ["sms", "viber", "whatsapp"])
    assert errors["en.viber.text"] == "The Viber text is empty."
    assert "lower-case" in errors["en.whatsapp.template"]
    assert errors["fr.viber.text"] == "The Viber text is 1,001 characters long; the limit is 1,000."
    assert "template" in errors["fr.whatsapp.template"]
    assert not any(key.startswith("en.sms") for key in errors)


@pytest.mark.django_db
def test_rendering_whatsapp_template_and_viber_text():
    """A template's name and its values, one per line, with Meta's no-newline rule applied to each value."""
    client = ClientFactory(name="Ann\tLee", language="fr")
    content = {
        "fr": {
            "whatsapp": {"template": "outage_notice", "placeholders": "{{ client_name }}\n\n{{ service }}"},
            "viber": {"text": "Bonjour {{ client_name }}"},
        }
    }
    variables = {"service": "Internet"}
    whatsapp = render_message(
        content=content,
        language="fr",
        fallback_language="fr",
        channel="whatsapp",
        recipient=client,
        variables=variables,
    )
    assert (whatsapp.subject, whatsapp.text) == ("outage_notice", "Ann Lee\nInternet")
    message = channel_spec("whatsapp").outbound(
        message_id="op-1", destination="+33", language="fr", output=_output(whatsapp), headers={}
    )
    assert message.template == "outage_notice" and message.placeholders == ("Ann Lee", "Internet")
    viber = render_message(
        content=content, language="fr", fallback_language="fr", channel="viber", recipient=client, variables=variables
    )
    assert (viber.text, viber.parts, viber.subject) == ("Bonjour Ann\tLee", 1, "")


def _output(rendered):
    from notifications.channels import ChannelOutput

    return ChannelOutput(subject=rendered.subject, text=rendered.text)


def _preferences_path(client_id: int) -> str:
    return links.preferences_url(client_id).split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.mark.django_db
def test_preference_page_offers_configured_channels_and_records_opt_in(client, senders):
    customer = ClientFactory(phone="+33612345678")
    page = client.get(_preferences_path(customer.pk)).content.decode()
    assert 'id="id_viber"' in page and 'id="id_whatsapp"' in page
    data = {
        "email": "on",
        "sms": "on",
        "whatsapp": "on",
        "language": "en",
        "kinds": ["outage", "maintenance", "update"],
    }
    assert client.post(_preferences_path(customer.pk), data).status_code == 302
    customer.refresh_from_db()
    assert (customer.whatsapp_consent, customer.viber_consent) == (True, False)
    event = ConsentEvent.objects.get()
    assert (event.channel, event.action, event.source) == ("whatsapp", "given", "preferences")


@pytest.mark.django_db
def test_preference_page_hides_unconfigured_channels(client, settings):
    settings.INFOBIP_VIBER_SENDER = settings.INFOBIP_WHATSAPP_SENDER = ""
    customer = ClientFactory(phone="+33612345678")
    page = client.get(_preferences_path(customer.pk)).content.decode()
    assert 'id="id_sms"' in page and "id_viber" not in page and "id_whatsapp" not in page


@pytest.mark.django_db
def test_outage_form_offers_viber_and_whatsapp_only_once_configured(settings):
    from campaigns.forms.audience import AudienceForm
    from campaigns.forms.message import MessageForm
    from tests.wizard.factories import CampaignFactory

    settings.INFOBIP_VIBER_SENDER = settings.INFOBIP_WHATSAPP_SENDER = ""
    campaign = CampaignFactory(channels=["sms", "whatsapp"])
    assert [value for value, _label in AudienceForm(campaign=campaign).fields["channels"].choices] == ["sms", "email"]
    settings.INFOBIP_WHATSAPP_SENDER = "447491163862"
    assert [value for value, _label in AudienceForm(campaign=campaign).fields["channels"].choices] == [
        "sms",
        "email",
        "whatsapp",
    ]
    form = MessageForm(campaign=campaign, languages=["en"])
    assert {"en_whatsapp_template", "en_whatsapp_placeholders", "en_whatsapp_text", "en_sms_text"} <= set(form.fields)


@pytest.mark.django_db
def test_admin_opt_in_on_viber_is_recorded(client):
    """An admin ticking Viber for a client who agreed records it in the consent history (source admin)."""
    from django.urls import reverse

    from tests.clients.test_admin import login

    login(client, groups=["Admins"])
    customer = ClientFactory(phone="+33612345678")
    url = reverse("admin:clients_client_change", args=[customer.pk])
    form = client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data.update(
        {
            "tags": "",
            "attributes": "{}",
            "muted_kinds": [],
            "viber_consent": "on",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
            "consent_events-TOTAL_FORMS": 0,
            "consent_events-INITIAL_FORMS": 0,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer.refresh_from_db()
    assert customer.viber_consent and customer.sms_consent and customer.email_consent
    event = ConsentEvent.objects.get()
    assert (event.channel, event.action, event.source) == ("viber", "given", "admin")

"""Issue 13 item 7, what customers read: times in the recipient's language and time zone, services by their name in
that language, and placeholders from the client's own fields and attributes with a fallback, checked where they
are written and rendered by the workers from the claimed row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest

from campaigns.services.variables import format_moment, send_variables
from clients.attribute_keys import attribute_keys_forget
from clients.models import ServiceName
from notifications import localise
from notifications.content import ContentRenderer, content_errors, recipient_data
from notifications.rendering import TemplateError, compile_template
from notifications.services.claim import messages_claim
from tests.factories import ClientFactory
from tests.pipeline.factories import MessageFactory, SendFactory
from tests.wizard.factories import CampaignFactory

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 11, 30, 9, 14, tzinfo=UTC)
TEXT = "{{ service }} down since {{ started_at }}, back by {{ expected_resolution }}."
CONTENT = {code: {"sms": {"text": TEXT}} for code in ("en", "fr", "de", "es")}
VARIABLES = {"service": "SMS service, Voice API", "started_at": STARTED.isoformat(), "expected_resolution": "tonight"}


def render(client, content=CONTENT, variables=VARIABLES, renderer=None):
    renderer = renderer or ContentRenderer(content=content, fallback_language="en", variables=variables)
    return renderer.render(recipient=recipient_data(client), language=client.language, channel="sms").text


@pytest.fixture
def languages(settings):
    settings.LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch"), ("es", "Español")]
    settings.CLIENT_DEFAULT_TIME_ZONE = "Europe/London"


def test_times_read_in_each_recipients_language_and_time_zone(languages):
    """French in Paris, German in Berlin, English in New York and in the default zone: one moment, four texts, each
    with the language's month names and a zone; free text ("tonight") stays as typed."""
    texts = {
        key: render(ClientFactory(language=language, time_zone=zone))
        for key, language, zone in (
            ("fr", "fr", "Europe/Paris"),
            ("de", "de", "Europe/Berlin"),
            ("en-ny", "en", "America/New_York"),
            ("en-default", "en", ""),
        )
    }
    assert "30 novembre 2026, 10:14 UTC+01:00" in texts["fr"]
    assert "30. November 2026, 10:14 MEZ" in texts["de"]
    assert "November 30, 2026, 4:14 AM EST" in texts["en-ny"]
    assert "November 30, 2026, 9:14 AM GMT" in texts["en-default"]
    assert all(text.endswith("back by tonight.") for text in texts.values())
    assert "UTC" not in texts["de"] and "Nov 2026, 09:14 UTC" not in texts["fr"]


def test_service_names_are_translated_per_language_and_unknown_ones_kept(languages):
    """The vocabulary (seeded for fr and de; editable in the admin) names the services in the client's language;
    a service nobody translated stays as written, and a language without a translation gets the English name."""
    fr, es = ClientFactory(language="fr"), ClientFactory(language="es")
    assert render(fr).startswith("Service SMS, Voice API down since")
    assert render(es).startswith("SMS service, Voice API down since")
    ServiceName.objects.filter(name="SMS service").update(translations={"fr": "Service SMS", "es": "Servicio SMS"})
    assert render(es).startswith("Servicio SMS, Voice API down since")


def test_formatting_happens_once_per_language_and_zone_not_per_recipient(languages):
    """200 recipients in two languages and two zones: four formatted dates, one vocabulary query."""
    clients = [
        ClientFactory.build(pk=n + 1, language=("fr", "de")[n % 2], time_zone=("Europe/Paris", "")[n % 4 // 2])
        for n in range(200)
    ]
    renderer = ContentRenderer(content=CONTENT, fallback_language="en", variables=VARIABLES)
    with mock.patch.object(localise, "moment_format", wraps=localise.moment_format) as formatted:
        for client in clients:
            render(client, renderer=renderer)
    assert formatted.call_count == 4


def test_client_fields_and_attributes_with_a_fallback(languages):
    content = {
        "en": {
            "sms": {
                "text": '{{ region }}/{{ plan }}/{{ network }}: {{ attributes.site | default:"your site" }} '
                "({{ attributes.floor }})"
            }
        }
    }
    with_site = ClientFactory(region="North", plan="pro", network="Orange", attributes={"site": "Lyon-3", "floor": 4})
    without = ClientFactory(region="South", plan="home", network="SFR", attributes={"other": "x"})
    assert render(with_site, content) == "North/pro/Orange: Lyon-3 (4)"
    assert render(without, content) == "South/home/SFR: your site ()"


def test_placeholders_are_checked_where_they_are_written():
    """Unknown names are errors naming the line: a misspelt variable, an attribute no client has, a nested name.
    An attribute some client holds is accepted."""
    ClientFactory(attributes={"site": "Lyon-3"})
    attribute_keys_forget()  # names are cached for five minutes; this test's client is new
    good = {"en": {"sms": {"text": '{{ region }} {{ attributes.site | default:"your site" }}'}}}
    assert content_errors(good, ["sms"]) == {}
    for text, expected in (
        ("Hi {{ regoin }}", "unknown variable 'regoin'"),
        ("{{ attributes.sitee }}", "no client has the attribute 'sitee'"),
        ("{{ attributes.site.city }}", "letters, digits and _ only"),
        ("{{ client.name }}", "attribute access is not allowed"),
    ):
        errors = content_errors({"en": {"sms": {"text": text}}}, ["sms"])
        assert expected in errors["en.sms.text"], errors


def test_the_parser_stays_linear_on_long_attribute_soup():
    """A 200,000-character template of attribute placeholders compiles (or fails) quickly, as before."""
    source = "{{ attributes.a }}" * 11_000
    compiled = compile_template(source)
    assert compiled.attributes == {"a"}
    with pytest.raises(TemplateError):
        compile_template("{{ attributes." + "a" * 100_000 + " }}")


@pytest.mark.postgres
def test_workers_render_from_the_claimed_row(languages):
    """The claim (one SQL statement) brings each client's own fields, zone and attributes, so a worker renders
    exactly what the preview shows."""
    client = ClientFactory(language="fr", time_zone="Europe/Paris", region="Nord", attributes={"site": "Lille"})
    content = {"fr": {"sms": {"text": "{{ region }}, {{ attributes.site }}, depuis {{ started_at }}"}}}
    send = SendFactory(content=content, variables={"started_at": STARTED.isoformat()}, fallback_language="fr")
    MessageFactory(send=send, client=client, channel="sms", destination=client.phone, language="fr", state="pending")
    claim = messages_claim(send_id=send.pk, channel="sms", limit=10, lease_seconds=60)
    [row] = claim.rows
    text = (
        ContentRenderer(content=content, fallback_language="fr", variables=send.variables)
        .render(recipient=row.recipient, language=row.language, channel="sms")
        .text
    )
    assert text == "Nord, Lille, depuis 30 novembre 2026, 10:14 UTC+01:00"
    assert text == render(client, content, send.variables)


def test_a_send_freezes_the_incidents_times_as_moments_unless_rewritten():
    """The outage form shows "30 Nov 2026, 09:14 UTC"; the send gets the moment itself, so each recipient reads
    it in their own language and zone. A time ops rewrote as text goes as written."""
    campaign = CampaignFactory()
    incident = campaign.incident
    incident.started_at, incident.expected_resolution_at = STARTED, STARTED + timedelta(hours=3)
    incident.save()
    campaign.variables = {
        "started_at": format_moment(incident.started_at),
        "expected_resolution": "tonight",
        "status_page": "https://status.example.com",
    }
    frozen = send_variables(campaign)
    assert frozen["started_at"] == STARTED.isoformat()
    assert frozen["expected_resolution"] == "tonight" and frozen["status_page"] == "https://status.example.com"


def test_a_localised_time_keeps_an_sms_in_gsm_7(languages):
    """CLDR writes "9:14\u202fAM" with a narrow no-break space; the message gets a plain one, so an English SMS stays
    GSM-7 (160 characters a part) instead of UCS-2 (70)."""
    renderer = ContentRenderer(content=CONTENT, fallback_language="en", variables=VARIABLES)
    rendered = renderer.render(recipient=recipient_data(ClientFactory(language="en")), language="en", channel="sms")
    assert rendered.encoding == "GSM-7", rendered.text

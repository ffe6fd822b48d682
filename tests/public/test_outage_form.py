"""Issue 16 in the outage form: the public text per language beside the message, the "publish" tick (on by default),
the preview of the public update (no personal data), and follow-ups that start from the public text and publish it."""

from __future__ import annotations

import pytest
from django.test import TestCase
from django.urls import reverse

from campaigns.models import Campaign, Incident, PublicUpdate
from campaigns.services import door
from campaigns.services.followups import campaign_follow_up
from tests.factories import ClientFactory, UserFactory
from tests.public.helpers import CONTENT, incident_of, notice
from tests.wizard.factories import CampaignFactory, MessageTemplateFactory, TemplateVersionFactory

pytestmark = pytest.mark.django_db

LONG_TEXT = (
    "A fibre cut near Lyon Part-Dieu stops SMS delivery for customers in the Rhône region. Messages sent since "
    "09:10 are queued and will be delivered once the link is repaired. Our field team is on site; the next update "
    "comes at 11:00. Nothing to do on your side."
)


def step_url(campaign: Campaign, step: str) -> str:
    return reverse("campaigns:wizard", args=[campaign.pk, step])


def message_post(**overrides: str) -> dict[str, str]:
    data = {
        "fallback_language": "en",
        "var_service": "SMS service",
        "var_expected_resolution": "12:00",
        "var_status_page": "",
        "en_sms_text": "{{ client_name }}: SMS delayed. {{ incident_link }}",
        "en_email_subject": "SMS delayed",
        "en_email_text": "Hello {{ client_name }}",
        "en_email_html": "",
        "en_public_text": LONG_TEXT,
        "fr_public_text": "",
        "de_public_text": "",
        "public_shown": "1",
        "publish_public": "on",
        "_next": "1",
    }
    data.update(overrides)
    return data


def preview(client, draft: Campaign) -> str:
    """The When step (send now), then the Preview step's page."""
    client.post(step_url(draft, "when"), {"send_mode": "now", "tz": "UTC", "_next": "1"})
    page = client.get(step_url(draft, "preview"))
    assert page.status_code == 200
    return page.content.decode()


@pytest.fixture
def ops(client):
    user = UserFactory(username="ops", groups=["Ops"])
    client.force_login(user)
    return user


@pytest.fixture
def draft(ops):
    ClientFactory(language="en", name="Zoé Marchetti", phone="+33612345678")
    return CampaignFactory(wizard_step="message", content={}, created_by=ops)


def test_the_publish_tick_is_on_by_default_and_the_public_text_is_saved(client, draft):
    """The common case needs no click: the tick is on; a text longer than an SMS is saved per language."""
    page = client.get(step_url(draft, "message"))
    form = page.context["form"]
    assert form["publish_public"].value() is True
    assert {"en_public_text", "fr_public_text", "de_public_text"} <= set(form.fields)
    assert b'id="id_en_public_text"' in page.content
    response = client.post(step_url(draft, "message"), message_post())
    assert response.status_code == 302 and response.url == step_url(draft, "when")
    draft.refresh_from_db()
    assert draft.public_text == {"en": LONG_TEXT} and len(LONG_TEXT) > 160
    assert incident_of(draft).is_public


def test_unticking_turns_the_incidents_page_off_and_a_post_without_the_box_leaves_it(client, draft):
    """The tick is the incident's switch while it is unpublished; a post that did not carry the box changes
    nothing (an unticked box sends nothing, so only ``public_shown`` tells "unticked" from "not on the page")."""
    plain = {"en_sms_text": "{{ client_name }}: SMS delayed."}
    client.post(step_url(draft, "message"), message_post(**plain, public_shown="", publish_public=""))
    assert incident_of(draft).is_public
    data = message_post(**plain)
    del data["publish_public"]
    response = client.post(step_url(draft, "message"), data)
    assert response.status_code == 302
    assert not incident_of(draft).is_public
    assert "publishes nothing" in preview(client, draft)


def test_placeholders_in_the_public_text_are_refused_beside_the_field(client, draft):
    """The page is the same for every reader: a placeholder there is an error beside that language's field."""
    response = client.post(step_url(draft, "message"), message_post(fr_public_text="Panne pour {{ client_name }}"))
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["fr_public_text"]
    assert "placeholders" in response.context["form"].errors["fr_public_text"][0]
    draft.refresh_from_db()
    assert draft.public_text["fr"] == "Panne pour {{ client_name }}"  # kept as typed, not published
    assert draft.wizard_step == "message"


def test_a_message_with_the_link_needs_the_page(client, draft):
    """{{ incident_link }} leads to the page: unticking it while the message carries the link is refused."""
    data = message_post()
    del data["publish_public"]
    response = client.post(step_url(draft, "message"), data)
    assert response.status_code == 200
    assert "incident_link" in response.context["form"].errors["publish_public"][0]
    assert incident_of(draft).is_public


def test_the_preview_shows_the_public_update_as_readers_will_and_no_personal_data(client, draft):
    """The preview step shows the state, the written text, the standard sentence where no text was written, and
    a link to the page preview; no recipient's name or number."""
    client.post(step_url(draft, "message"), message_post(fr_sms_text="Panne. {{ incident_link }}"))
    html = preview(client, draft)
    card = html[html.index('id="public-update"') :]
    card = card[: card.index("</div></div>")]
    assert "Investigating" in card and LONG_TEXT in card
    assert 'lang="fr"' in card and "readers see the English one" in card  # French readers get the English text
    assert f"/status-preview/{draft.incident_id}/?notice={draft.pk}" in card
    assert "Zoé" not in card and "612345678" not in card


def test_the_page_preview_shows_the_drafts_text(client, draft):
    """The full page preview (staff only) shows the draft's update as it will be published."""
    client.post(step_url(draft, "message"), message_post())
    page = client.get(reverse("public:incident_preview", args=[draft.incident_id]) + f"?notice={draft.pk}")
    assert page.status_code == 200 and LONG_TEXT in page.content.decode()


@pytest.fixture
def update_template():
    template = MessageTemplateFactory(name="Incident update", kind="update")
    TemplateVersionFactory(template=template, language="en", public_text="")
    return template


def test_follow_ups_start_from_the_public_text_and_publish_it(ops, update_template):
    """'Send update' starts from the first notice's public text (its template has none); 'Send resolved' starts
    from its template's public text; each send publishes its update on the page."""
    clients = [ClientFactory(language="en")]
    first = notice(actor=ops, clients=clients, public_text={"en": LONG_TEXT})
    update = campaign_follow_up(campaign=first, kind="update", actor=ops)
    assert update.public_text == {"en": LONG_TEXT}
    resolved_template = MessageTemplateFactory(name="Service restored", kind="resolved")
    TemplateVersionFactory(template=resolved_template, language="en", public_text="All SMS were delivered by 10:40.")
    resolved = campaign_follow_up(campaign=first, kind="resolved", actor=ops)
    assert resolved.public_text == {"en": "All SMS were delivered by 10:40."}
    Campaign.objects.filter(pk__in=[update.pk, resolved.pk]).update(content=CONTENT)
    for draft in (update, resolved):
        draft.refresh_from_db()
        with TestCase.captureOnCommitCallbacks(execute=True):
            door.campaign_confirm(campaign=draft, actor=ops)
    texts = [row.texts for row in PublicUpdate.objects.filter(incident_id=first.incident_id).order_by("id")]
    assert texts == [{"en": LONG_TEXT}, {"en": LONG_TEXT}, {"en": "All SMS were delivered by 10:40."}]
    assert Incident.objects.get(pk=first.incident_id).public_state == "resolved"


def test_a_resolved_notice_without_a_public_text_publishes_the_standard_sentence(ops):
    """Never the outage's text again: a resolved notice without a template text starts empty."""
    first = notice(actor=ops, clients=[ClientFactory(language="en")], public_text={"en": LONG_TEXT})
    assert campaign_follow_up(campaign=first, kind="resolved", actor=ops).public_text == {}


def test_save_as_template_keeps_the_public_text(client, draft):
    """'Save this message as a template' saves its public text too, so the next notice starts from it."""
    client.post(step_url(draft, "message"), message_post(save_as_template="on", new_template_name="Fibre cut"))
    version = MessageTemplateFactory._meta.model.objects.get(name="Fibre cut").versions.get(language="en")
    assert version.public_text == LONG_TEXT


def test_the_sms_counter_counts_the_incident_link_at_its_real_length(client, draft, settings):
    """130 characters and the link: 19 as typed would make one part; the real 36-character link makes two, and the
    counter on the Message step says two (the browser's counter reads the same link from the page)."""
    settings.PORTAL_BASE_URL = "https://status.example.com"
    link = "https://status.example.com/i/xxxxxxx"
    text = "x" * 130 + " {{ incident_link }}"
    Campaign.objects.filter(pk=draft.pk).update(content={"en": {"sms": {"text": text}}})
    page = client.get(step_url(draft, "message"))
    english = next(tab for tab in page.context["tabs"] if tab["code"] == "en")
    assert english["sms"].characters == 131 + len(link) == 167
    assert english["sms"].parts == 2
    assert f'data-incident-link="{link}"'.encode() in page.content
    for spelling in ("{{incident_link}}", "{{ incident_link|upper }}"):
        Campaign.objects.filter(pk=draft.pk).update(content={"en": {"sms": {"text": "x" * 130 + " " + spelling}}})
        english = next(tab for tab in client.get(step_url(draft, "message")).context["tabs"] if tab["code"] == "en")
        assert english["sms"].characters == 167


def test_the_template_pages_edit_the_public_text_new_notices_start_from(client, ops):
    """A template's public text is written on the template page (no placeholders, only beside a message) and a new
    notice of its kind starts from it."""
    data = {
        "name": "Fibre cut",
        "kind": "outage",
        "description": "",
        "en_sms_text": "{{ client_name }}: SMS down. {{ incident_link }}",
        "en_public_text": LONG_TEXT,
        "fr_public_text": "Coupure de {{ service }}",
        "de_public_text": "Glasfaser durchtrennt.",
        "en_is_default": "on",
    }
    refused = client.post(reverse("campaigns:template_new"), data)
    assert refused.status_code == 200
    assert set(refused.context["form"].errors) == {"fr_public_text", "de_public_text"}
    data.update(fr_public_text="", de_public_text="")
    assert client.post(reverse("campaigns:template_new"), data).status_code == 302
    template = MessageTemplateFactory._meta.model.objects.get(name="Fibre cut")
    assert template.versions.get(language="en").public_text == LONG_TEXT
    page = client.get(reverse("campaigns:template_edit", args=[template.pk]))
    assert page.context["form"]["en_public_text"].value() == LONG_TEXT
    response = client.post(
        reverse("campaigns:new"),
        {
            "title": "Fibre cut",
            "kind": "outage",
            "services": ["SMS service"],
            "other_services": "",
            "started_at": "2026-01-10T09:00",
            "expected_resolution_at": "",
            "severity": "major",
            "internal_note": "",
            "tz": "UTC",
            "_next": "1",
        },
    )
    assert response.status_code == 302
    assert Campaign.objects.latest("pk").public_text == {"en": LONG_TEXT}


def test_without_any_public_text_the_preview_shows_the_standard_sentence(client, draft):
    data = message_post(en_public_text="")
    client.post(step_url(draft, "message"), data)
    card = preview(client, draft)
    card = card[card.index('id="public-update"') :]
    assert "We are investigating a problem affecting SMS service." in card and "standard text" in card


def test_a_follow_ups_message_step_has_no_tick_and_keeps_the_page(client, ops):
    """Once the incident is published the tick is gone (hiding a published page is not a draft's edit); saving
    the follow-up's Message step leaves the page public."""
    first = notice(actor=ops, clients=[ClientFactory(language="en")], public_text={"en": LONG_TEXT})
    update = campaign_follow_up(campaign=first, kind="update", actor=ops)
    page = client.get(step_url(update, "message"))
    assert "publish_public" not in page.context["form"].fields
    assert b"adds its update to the incident's public page" in page.content
    data = message_post(en_public_text="Engineers replaced the cable; SMS are flowing again in part of the region.")
    del data["publish_public"], data["public_shown"]
    assert client.post(step_url(update, "message"), data).status_code == 302
    update.refresh_from_db()
    assert update.public_text == {"en": "Engineers replaced the cable; SMS are flowing again in part of the region."}
    assert incident_of(update).is_public

"""Issue 13 item 2: fewer steps for the common case.

The notice kind's default text is filled in as soon as the kind is chosen (a template version can be marked as its
kind's default per language, on the template page or in the admin); the affected services pre-select the matching
built-in audience and the channels those clients can be reached on; "Affected services" is marked required; on the
test step the main button sends the test. (The whole walk in Chromium is in test_browser_target.py.)
"""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, TemplateVersion
from campaigns.services.templates import kind_default_text, message_template_save
from tests.factories import ClientFactory, TestRecipientFactory, UserFactory
from tests.wizard.factories import CampaignFactory, IncidentFactory, MessageTemplateFactory, TemplateVersionFactory

pytestmark = pytest.mark.django_db


def step_url(campaign, step):
    return reverse("campaigns:wizard", args=[campaign.pk, step])


def incident_post(**overrides):
    data = {
        "title": "SMS delayed",
        "kind": "outage",
        "services": ["SMS service"],
        "other_services": "",
        "started_at": "2026-01-10T09:00",
        "expected_resolution_at": "2026-01-10T12:00",
        "severity": "major",
        "tz": "UTC",
        "_next": "1",
    }
    data.update(overrides)
    return data


@pytest.fixture
def outage_templates():
    """Two outage templates: the second's English is marked as the kind's default; only the first has French."""
    first = MessageTemplateFactory(name="Outage, long", kind="outage")
    TemplateVersionFactory(template=first, language="en", sms_text="[long en] {{ service }}")
    TemplateVersionFactory(template=first, language="fr", sms_text="[long fr] {{ service }}")
    second = MessageTemplateFactory(name="Outage, short", kind="outage")
    TemplateVersionFactory(template=second, language="en", sms_text="[short en] {{ service }}", is_default=True)
    resolved = MessageTemplateFactory(name="Restored", kind="resolved")
    TemplateVersionFactory(template=resolved, language="en", sms_text="[restored en] {{ service }}")
    return first, second, resolved


def test_the_kind_text_is_filled_in_when_the_notice_is_made(client, ops, outage_templates):
    """Saving the Incident step fills the message with the kind's default per language: the marked English version,
    and the only French one; the Message step opens with that text."""
    first, second, _resolved = outage_templates
    client.post(reverse("campaigns:new"), incident_post())
    campaign = Campaign.objects.get()
    assert campaign.content["en"]["sms"]["text"] == "[short en] {{ service }}"
    assert campaign.content["fr"]["sms"]["text"] == "[long fr] {{ service }}"
    assert campaign.template == second
    campaign.audience, campaign.channels, campaign.wizard_step = {"builtin": ["all_clients"]}, ["sms"], "message"
    campaign.save()
    ClientFactory()
    page = client.get(step_url(campaign, "message"))
    assert page.context["form"].initial["en_sms_text"] == "[short en] {{ service }}"


def test_another_kind_brings_its_text_unless_the_text_was_changed(client, ops, outage_templates):
    """Changing the kind at step 1 replaces untouched text with the new kind's; edited text is kept."""
    client.post(reverse("campaigns:new"), incident_post())
    campaign = Campaign.objects.get()
    client.post(step_url(campaign, "incident"), incident_post(kind="resolved"))
    campaign.refresh_from_db()
    assert campaign.kind == "resolved" and set(campaign.content) == {"en"}
    assert campaign.content["en"]["sms"]["text"] == "[restored en] {{ service }}"
    campaign.content = {"en": {"sms": {"text": "My own words"}}}
    campaign.save()
    client.post(step_url(campaign, "incident"), incident_post(kind="outage"))
    campaign.refresh_from_db()
    assert campaign.kind == "outage" and campaign.content == {"en": {"sms": {"text": "My own words"}}}


def test_marking_a_default_takes_the_mark_from_the_others(outage_templates):
    """One default per kind and language: saving another as the English default unmarks the previous one."""
    first, second, _resolved = outage_templates
    message_template_save(
        name=first.name, kind="outage", content={"en": {"sms": {"text": "new"}}}, template=first, defaults=["en"]
    )
    assert list(TemplateVersion.objects.filter(is_default=True).values_list("template__name", flat=True)) == [
        "Outage, long"
    ]
    assert kind_default_text("outage").content == {"en": first.versions.get(language="en").as_content()}


def test_the_template_page_marks_a_version_as_its_kind_default(client, outage_templates):
    """An admin ticks "default" for a language on the template page; the list shows it."""
    first, _second, _resolved = outage_templates
    client.force_login(UserFactory(username="ada", groups=["Admins"]))
    # Before: the marked English outage version, the only French outage one and the only resolved one start notices.
    assert client.get(reverse("campaigns:templates")).content.decode().count('text-bg-success" title=') == 3
    data = {
        "name": first.name,
        "kind": "outage",
        "description": "",
        "en_sms_text": "[long en] {{ service }}",
        "fr_sms_text": "[long fr] {{ service }}",
        "fr_is_default": "on",
        "de_is_default": "on",
    }
    refused = client.post(reverse("campaigns:template_edit", args=[first.pk]), data)
    assert refused.status_code == 200 and "de_is_default" in refused.context["form"].errors
    del data["de_is_default"]
    response = client.post(reverse("campaigns:template_edit", args=[first.pk]), data)
    assert response.status_code == 302
    assert first.versions.get(language="fr").is_default and not first.versions.get(language="en").is_default
    listing = client.get(reverse("campaigns:templates")).content.decode()
    assert listing.count('text-bg-success" title=') == 3  # French is now marked; English and resolved unchanged


def test_affected_services_preselect_the_audience_and_the_reachable_channels(client, ops):
    """An SMS outage ticks "SMS clients"; the channels ticked are those the clients can be reached on."""
    ClientFactory(uses_sms_service=True, email="")
    ClientFactory(uses_sms_service=False, uses_email_service=True)
    campaign = CampaignFactory(
        incident=IncidentFactory(services=["SMS service"]), audience={}, channels=[], wizard_step="audience"
    )
    page = client.get(step_url(campaign, "audience"))
    initial = page.context["form"].initial
    assert initial["builtin"] == ["sms_clients"] and initial["channels"] == ["sms"]
    assert 'data-suggested="sms_clients"' in page.content.decode()
    email = CampaignFactory(
        incident=IncidentFactory(services=["Email service", "SMS service"]),
        audience={},
        channels=[],
        wizard_step="audience",
    )
    initial = client.get(step_url(email, "audience")).context["form"].initial
    assert initial["builtin"] == ["sms_clients", "email_clients"] and initial["channels"] == ["sms", "email"]


def test_affected_services_is_marked_required_and_other_services_still_count(client, ops):
    """The label carries the required mark; a service typed in the other field is enough."""
    html = client.get(reverse("campaigns:new")).content.decode()
    legend = html[html.index("Affected services") : html.index("Affected services") + 80]
    assert 'class="asteriskField"' in legend
    response = client.post(reverse("campaigns:new"), incident_post(services=[], other_services="Voice API"))
    assert response.status_code == 302


def test_the_test_steps_main_button_sends_the_test(client, ops):
    """ "Send test" is the primary button; skipping is a secondary link-styled button."""
    TestRecipientFactory(name="Dana", language="fr")
    campaign = CampaignFactory(wizard_step="test", created_by=ops)
    html = client.get(step_url(campaign, "test")).content.decode()
    assert 'name="_send_test" value="1" class="btn btn-primary"' in html
    assert 'name="_next" value="1" class="btn btn-link"' in html
    assert "No colleague here reads English" in html


def test_text_sent_back_untouched_is_not_an_edit(client, ops, outage_templates):
    """Browsers send textareas with CRLF line breaks: the same text saved again changes nothing and records nothing,
    and the Message step does not take it for edited text (choosing another template would not ask)."""
    client.post(reverse("campaigns:new"), incident_post())
    campaign = Campaign.objects.get()
    campaign.content = {"en": {"sms": {"text": "Line one\nLine two"}}}
    campaign.template = None
    campaign.audience, campaign.channels, campaign.wizard_step = {"builtin": ["all_clients"]}, ["sms"], "message"
    campaign.save()
    ClientFactory()
    data = {"fallback_language": "en", "en_sms_text": "Line one\r\nLine two", "_next": "1"}
    client.post(step_url(campaign, "message"), data)
    campaign.refresh_from_db()
    assert campaign.content["en"]["sms"]["text"] == "Line one\nLine two"
    assert not campaign.events.filter(action="edited", detail__contains="sms text").exists()

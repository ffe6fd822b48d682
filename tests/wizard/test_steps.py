"""The outage form's steps through Django's test client: validation beside the field, Back/forward, pre-conditions."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, Incident
from campaigns.selectors.gaps import campaign_empty_placeholders
from tests.factories import BucketFactory, ClientFactory, UserFactory
from tests.wizard.factories import CampaignFactory, TemplateVersionFactory

pytestmark = pytest.mark.django_db


def step_url(campaign, step):
    return reverse("campaigns:wizard", args=[campaign.pk, step])


@pytest.fixture
def bucket():
    bucket = BucketFactory(name="Paris region")
    for language in ("en", "en", "fr"):
        bucket.clients.add(ClientFactory(language=language))
    return bucket


def incident_post(**overrides):
    data = {
        "title": "SMS delayed",
        "kind": "outage",
        "services": ["SMS service"],
        "other_services": "",
        "started_at": "2026-01-10T09:00",
        "expected_resolution_at": "2026-01-10T12:00",
        "severity": "major",
        "internal_note": "",
        "tz": "Europe/Paris",
        "_next": "1",
    }
    data.update(overrides)
    return data


def test_incident_step_creates_incident_and_draft(client, ops):
    """A valid Incident step creates the incident and a draft, then opens the Audience step."""
    response = client.post(reverse("campaigns:new"), incident_post(other_services="Voice API"))
    campaign = Campaign.objects.get()
    assert response.status_code == 302 and response.url == step_url(campaign, "audience")
    assert campaign.state == "draft" and campaign.wizard_step == "audience" and campaign.created_by == ops
    assert campaign.incident.services == ["SMS service", "Voice API"]
    # Entered in Paris time (UTC+1 in January), stored in UTC.
    assert campaign.incident.started_at.hour == 8


def test_incident_step_errors_are_shown_beside_fields(client, ops):
    """Missing title and services and an end before the start are reported beside each field; nothing is saved."""
    response = client.post(
        reverse("campaigns:new"), incident_post(title="", services=[], expected_resolution_at="2026-01-10T08:00")
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"title", "services", "expected_resolution_at"}
    assert b"invalid-feedback" in response.content
    assert not Incident.objects.exists()


def test_a_step_not_reached_redirects_to_the_furthest_step(client, ops):
    """Opening a later step than the draft reached goes back to the first incomplete step."""
    campaign = CampaignFactory(wizard_step="audience")
    response = client.get(step_url(campaign, "preview"))
    assert response.status_code == 302 and response.url == step_url(campaign, "audience")


def test_audience_step_saves_definition_and_counts(client, ops, bucket):
    """Choosing a bucket and both channels saves the audience and shows per-channel counts."""
    campaign = CampaignFactory(wizard_step="audience", audience={}, channels=[])
    data = {
        "buckets": [bucket.pk],
        "match": "all",
        "channels": ["sms", "email"],
        "cond-TOTAL_FORMS": "1",
        "cond-INITIAL_FORMS": "0",
        "_next": "1",
    }
    response = client.post(step_url(campaign, "audience"), data)
    assert response.status_code == 302 and response.url == step_url(campaign, "message")
    campaign.refresh_from_db()
    assert campaign.audience == {"buckets": [bucket.pk]}
    assert campaign.channels == ["sms", "email"]
    counts = client.post(reverse("campaigns:wizard_counts", args=[campaign.pk]), data)
    assert counts.context["counts"].per_channel["sms"].per_language == {"en": 2, "fr": 1}


def test_audience_with_nobody_reachable_is_an_error(client, ops):
    """An audience whose clients cannot be reached on the chosen channel is refused beside the channels."""
    empty = BucketFactory()
    empty.clients.add(ClientFactory(phone=""))
    campaign = CampaignFactory(wizard_step="audience", audience={}, channels=[])
    response = client.post(
        step_url(campaign, "audience"),
        {
            "buckets": [empty.pk],
            "match": "all",
            "channels": ["sms"],
            "cond-TOTAL_FORMS": "1",
            "cond-INITIAL_FORMS": "0",
            "_next": "1",
        },
    )
    assert response.status_code == 200
    assert "channels" in response.context["form"].errors
    assert response.context["counts"].per_channel["sms"].excluded["no_phone"] == 1


def test_audience_conditions_and_unknown_field(client, ops, bucket):
    """Conditions narrow the audience; an unknown field is reported on the form."""
    campaign = CampaignFactory(wizard_step="audience", audience={}, channels=[])
    base = {
        "buckets": [bucket.pk],
        "match": "all",
        "channels": ["sms"],
        "cond-TOTAL_FORMS": "2",
        "cond-INITIAL_FORMS": "0",
        "cond-0-field": "language",
        "cond-0-op": "is",
        "cond-0-value": "fr",
        "_next": "1",
    }
    bad = client.post(
        step_url(campaign, "audience"), {**base, "cond-1-field": "shoe_size", "cond-1-op": "is", "cond-1-value": "42"}
    )
    assert bad.status_code == 200 and "shoe_size" in str(bad.context["form"].non_field_errors())
    good = client.post(step_url(campaign, "audience"), base)
    assert good.status_code == 302
    campaign.refresh_from_db()
    assert campaign.audience["conditions"] == [{"field": "language", "op": "is", "value": "fr"}]


def test_csv_upload_matches_clients_and_lists_unmatched(client, ops):
    """An uploaded list becomes explicit client ids; rows matching no client are listed."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    first, second = ClientFactory(external_ref="A-1"), ClientFactory(email="Known@Example.com")
    campaign = CampaignFactory(wizard_step="audience", audience={}, channels=["email"])
    upload = SimpleUploadedFile("list.csv", b"reference\nA-1\nknown@example.com\nNOPE-9\n", "text/csv")
    response = client.post(
        step_url(campaign, "audience"),
        {
            "match": "all",
            "channels": ["email"],
            "cond-TOTAL_FORMS": "1",
            "cond-INITIAL_FORMS": "0",
            "csv_file": upload,
            "_upload": "1",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].csv_unmatched == ["NOPE-9"]
    campaign.refresh_from_db()
    assert sorted(campaign.audience["clients"]) == sorted([first.pk, second.pk])


def message_post(**overrides):
    data = {
        "fallback_language": "en",
        "var_service": "SMS service",
        "var_expected_resolution": "12:00",
        "var_status_page": "",
        "en_sms_text": "{{ client_name }}: SMS delayed.",
        "en_email_subject": "SMS delayed",
        "en_email_text": "Hello {{ client_name }}",
        "en_email_html": "",
        "fr_sms_text": "{{ client_name }} : SMS retardés.",
        "fr_email_subject": "SMS retardés",
        "fr_email_text": "Bonjour",
        "fr_email_html": "",
        "_next": "1",
    }
    data.update(overrides)
    return data


def test_message_template_error_is_shown_beside_the_field_and_input_kept(client, ops, bucket):
    """An unknown variable is reported beside its field at the Message step; the typed text is kept in the draft."""
    campaign = CampaignFactory(wizard_step="message", audience={"buckets": [bucket.pk]}, content={})
    response = client.post(step_url(campaign, "message"), message_post(fr_sms_text="{{ nom }} : panne"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["fr_sms_text"] and "unknown variable 'nom'" in errors["fr_sms_text"][0]
    campaign.refresh_from_db()
    assert campaign.content["fr"]["sms"]["text"] == "{{ nom }} : panne"
    assert campaign.wizard_step == "message"


def test_message_step_saves_versions_and_back_keeps_everything(client, ops, bucket):
    """Saving stores a version per language; Back then forward shows the same text."""
    campaign = CampaignFactory(wizard_step="message", audience={"buckets": [bucket.pk]}, content={})
    response = client.post(step_url(campaign, "message"), message_post())
    assert response.url == step_url(campaign, "when")
    campaign.refresh_from_db()
    assert set(campaign.content) == {"en", "fr"}
    assert campaign.variables["expected_resolution"] == "12:00"
    back = client.post(step_url(campaign, "when"), {"send_mode": "now", "_back": "1"})
    assert back.url == step_url(campaign, "message")
    page = client.get(step_url(campaign, "message"))
    assert page.context["form"]["fr_sms_text"].value() == "{{ client_name }} : SMS retardés."


def test_fallback_language_needs_a_version(client, ops, bucket):
    """The fallback language must have a message on every chosen channel."""
    campaign = CampaignFactory(wizard_step="message", audience={"buckets": [bucket.pk]}, content={})
    response = client.post(step_url(campaign, "message"), message_post(en_sms_text="", fallback_language="en"))
    assert "en_sms_text" in response.context["form"].errors


def test_loading_a_template_fills_the_text_and_never_changes_it(client, ops, bucket):
    """'Use this template' fills the draft; later edits leave the saved template as it was."""
    version = TemplateVersionFactory(language="en", sms_text="Template {{ client_name }}")
    campaign = CampaignFactory(wizard_step="message", audience={"buckets": [bucket.pk]}, content={})
    client.post(step_url(campaign, "message"), {"template": version.template.pk, "_load_template": "1"})
    campaign.refresh_from_db()
    assert campaign.content["en"]["sms"]["text"] == "Template {{ client_name }}"
    client.post(step_url(campaign, "message"), message_post(template=version.template.pk))
    version.refresh_from_db()
    assert version.sms_text == "Template {{ client_name }}"


def test_when_step_rejects_past_times(client, ops):
    """A time in the past is refused with a clear error beside the field."""
    campaign = CampaignFactory(wizard_step="when")
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(step_url(campaign, "when"), {"send_mode": "at", "send_at": past, "tz": "UTC", "_next": "1"})
    assert "already passed" in response.context["form"].errors["send_at"][0]


def test_when_step_repeat_needs_interval_and_end(client, ops):
    """Repeating reminders need an interval and an end after the first reminder."""
    campaign = CampaignFactory(wizard_step="when")
    response = client.post(step_url(campaign, "when"), {"send_mode": "repeat", "tz": "UTC", "_next": "1"})
    assert set(response.context["form"].errors) == {"repeat_every_hours", "repeat_until"}
    until = (timezone.now() + timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M")
    ok = client.post(
        step_url(campaign, "when"),
        {"send_mode": "repeat", "repeat_every_hours": "2", "repeat_until": until, "tz": "UTC", "_next": "1"},
    )
    assert ok.url == step_url(campaign, "preview")
    campaign.refresh_from_db()
    assert campaign.repeat_every_hours == 2 and campaign.send_at is None


def test_preview_renders_real_recipients_per_language_and_channel(client, ops, bucket):
    """The preview renders real recipients' messages per language and channel, with SMS parts and email HTML."""
    from tests.wizard.factories import content_for

    campaign = CampaignFactory(
        wizard_step="preview", audience={"buckets": [bucket.pk]}, content=content_for("en", "fr")
    )
    response = client.get(step_url(campaign, "preview"))
    tabs = response.context["sample_tabs"]
    assert [tab["label"] for tab in tabs] == ["English · SMS", "English · Email", "Français · SMS", "Français · Email"]
    samples = [sample for tab in tabs for sample in tab["samples"]]
    assert {(s["channel"], s["rendered"].language) for s in samples} == {
        ("sms", "en"),
        ("sms", "fr"),
        ("email", "en"),
        ("email", "fr"),
    }
    fr = next(s for s in samples if s["channel"] == "sms" and s["rendered"].language == "fr")
    assert fr["rendered"].text.startswith(f"[fr] {fr['client'].name}:")
    assert b"srcdoc=" in response.content and b'sandbox=""' in response.content
    search = client.get(reverse("campaigns:wizard_recipients", args=[campaign.pk]), {"q": fr["client"].external_ref})
    assert [row["client"] for row in search.context["rows"]] == [fr["client"]]


def test_follow_up_shows_same_recipients_and_cannot_change_them(client, ops):
    """A follow-up's audience reads 'Same recipients as …' and a submitted audience does not replace it."""
    parent = CampaignFactory(state="completed", title="SMS down")
    clients = [ClientFactory(), ClientFactory()]
    follow_up = CampaignFactory(
        parent=parent, audience={"clients": [c.pk for c in clients]}, wizard_step="audience", channels=["sms"]
    )
    page = client.get(step_url(follow_up, "audience"))
    assert "Same recipients as “SMS down” (2 clients)" in page.content.decode()
    assert "builtin" not in page.context["form"].fields
    client.post(
        step_url(follow_up, "audience"), {"builtin": ["all_clients"], "channels": ["sms", "email"], "_next": "1"}
    )
    follow_up.refresh_from_db()
    assert follow_up.audience == {"clients": [c.pk for c in clients]}
    assert follow_up.channels == ["sms", "email"]


def test_preview_warns_about_shared_values_the_message_uses_but_nobody_filled(client):
    """A message using {{ expected_resolution }} with no expected time shows a warning before anything is sent."""
    ClientFactory()
    campaign = CampaignFactory(
        channels=["sms"],
        wizard_step="preview",
        content={"en": {"sms": {"text": "Fixed by {{ expected_resolution }}. {{ service }}"}}},
        variables={"expected_resolution": "", "service": "SMS service"},
    )
    assert [gap.name for gap in campaign_empty_placeholders(campaign)] == ["expected_resolution"]
    client.force_login(UserFactory(username="pia", groups=["Ops"]))
    html = client.get(reverse("campaigns:wizard", args=[campaign.pk, "preview"])).content.decode()
    assert 'id="empty-placeholders"' in html and "Expected resolution" in html

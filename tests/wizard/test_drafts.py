"""Draft services: creating a draft (the contract the monitoring API uses) and saving each step."""

import pytest

from campaigns.models import Campaign, CampaignEvent, Incident
from campaigns.services.drafts import (
    CampaignNotEditable,
    campaign_audience_update,
    campaign_draft_create,
    campaign_message_update,
    campaign_step_reach,
)
from tests.factories import UserFactory
from tests.wizard.factories import CampaignFactory, TemplateVersionFactory, content_for

pytestmark = pytest.mark.django_db


def test_draft_create_makes_incident_campaign_and_event():
    """Without an incident, campaign_draft_create makes one from incident_fields and logs a 'drafted' event."""
    user = UserFactory(groups=["Ops"])
    campaign = campaign_draft_create(
        incident_fields={"services": ["SMS service"], "severity": "critical"},
        kind="outage",
        title="SMS down",
        created_by=user,
        source=Campaign.Source.API,
        source_detail="token “Alertmanager”",
    )
    assert campaign.state == Campaign.State.DRAFT
    assert campaign.wizard_step == "audience"
    assert campaign.incident.title == "SMS down"
    assert campaign.incident.severity == "critical"
    assert campaign.variables["service"] == "SMS service"
    event = CampaignEvent.objects.get(campaign=campaign)
    assert (event.action, event.actor, event.detail) == ("drafted", user, "source: API, token “Alertmanager”")
    assert campaign.source == "api" and campaign.created_by == user


def test_draft_create_with_audience_and_template_opens_at_message_with_content():
    """Audience, channels and a template fill the draft; the form reopens at the Message step."""
    version = TemplateVersionFactory(language="fr")
    TemplateVersionFactory(template=version.template, language="en")
    incident = Incident.objects.create(title="Email slow", services=["Email service"])
    campaign = campaign_draft_create(
        incident=incident,
        kind="degraded",
        title="Email slow",
        audience={"buckets": [1]},
        channels=["email"],
        template=version.template,
        variables={"status_page": "https://status.example.com"},
    )
    assert campaign.wizard_step == "message"
    assert set(campaign.content) == {"en", "fr"}
    assert campaign.content["fr"]["sms"]["text"] == version.sms_text
    assert campaign.variables["status_page"] == "https://status.example.com"
    assert Incident.objects.count() == 1


def test_step_reach_only_moves_forward():
    """Reaching an earlier step again (Back) never moves the furthest step back."""
    campaign = CampaignFactory(wizard_step="when")
    campaign_step_reach(campaign=campaign, step="audience")
    assert campaign.wizard_step == "when"
    campaign_step_reach(campaign=campaign, step="preview")
    campaign.refresh_from_db()
    assert campaign.wizard_step == "preview"


def test_follow_up_audience_is_never_replaced():
    """A follow-up keeps its parent's exact recipients even if the audience step submits another audience."""
    parent = CampaignFactory(state=Campaign.State.COMPLETED)
    follow_up = CampaignFactory(parent=parent, audience={"clients": [1, 2]})
    campaign_audience_update(campaign=follow_up, audience={"builtin": ["all_clients"]}, channels=["sms"], actor=None)
    follow_up.refresh_from_db()
    assert follow_up.audience == {"clients": [1, 2]}
    assert follow_up.channels == ["sms"]


def test_message_update_changes_template_only_when_saving_as_template():
    """Editing content leaves the saved template alone; 'save as template' writes its versions."""
    version = TemplateVersionFactory(language="en", sms_text="Original")
    campaign = CampaignFactory(template=version.template)
    campaign_message_update(
        campaign=campaign,
        content=content_for("en"),
        fallback_language="en",
        variables={},
        template=version.template,
        actor=None,
    )
    version.refresh_from_db()
    assert version.sms_text == "Original"
    campaign_message_update(
        campaign=campaign,
        content=content_for("en", "fr"),
        fallback_language="en",
        variables={},
        save_as_template=version.template.name,
        actor=None,
    )
    version.refresh_from_db()
    assert version.sms_text.startswith("[en]")
    assert version.template.versions.count() == 2


def test_sent_campaign_cannot_be_edited():
    """Once a notice leaves draft, the draft services refuse to change it."""
    campaign = CampaignFactory(state=Campaign.State.SENDING)
    with pytest.raises(CampaignNotEditable):
        campaign_audience_update(campaign=campaign, audience={}, channels=["sms"], actor=None)

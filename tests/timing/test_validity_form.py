"""The outage form's When step sets a notice's validity (empty: its kind's default); the send it starts carries
the matching ``valid_until``; bad input re-renders with the error beside the field."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, IncidentKind
from campaigns.selectors.messages import campaign_main_send
from campaigns.selectors.timing import kind_validity_hours, validity_hours_of
from campaigns.services import door
from tests.factories import ClientFactory
from tests.wizard.factories import CampaignFactory, content_for

pytestmark = pytest.mark.django_db


def when_url(campaign):
    return reverse("campaigns:wizard", args=[campaign.pk, "when"])


def test_kind_defaults_come_from_settings(settings):
    settings.NOTICE_VALIDITY_HOURS = {"outage": 3, "maintenance": 24}
    assert kind_validity_hours("outage") == 3 and kind_validity_hours("maintenance") == 24
    assert kind_validity_hours("unknown") == 4
    assert validity_hours_of(CampaignFactory.build(kind=IncidentKind.MAINTENANCE)) == 24


def test_when_step_saves_the_validity_and_shows_the_default(client, ops, settings):
    settings.NOTICE_VALIDITY_HOURS = {"outage": 4}
    campaign = CampaignFactory(wizard_step="when", kind=IncidentKind.OUTAGE)
    page = client.get(when_url(campaign))
    assert "Empty: 4 h, the default for this kind of notice." in page.content.decode()
    response = client.post(when_url(campaign), {"send_mode": "now", "validity_hours": "2", "tz": "UTC", "_next": "1"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.validity_hours == 2
    client.post(when_url(campaign), {"send_mode": "now", "validity_hours": "", "tz": "UTC", "_next": "1"})
    campaign.refresh_from_db()
    assert campaign.validity_hours is None and validity_hours_of(campaign) == 4


@pytest.mark.parametrize("value", ["0", "169", "soon"])
def test_when_step_refuses_a_bad_validity_beside_the_field(client, ops, value):
    campaign = CampaignFactory(wizard_step="when")
    response = client.post(when_url(campaign), {"send_mode": "now", "validity_hours": value, "tz": "UTC", "_next": "1"})
    assert response.status_code == 200 and "validity_hours" in response.context["form"].errors


def test_the_send_carries_the_notices_validity(ops):
    """Sent now with 2 hours: the main send stops 2 hours after it started."""
    ClientFactory()
    campaign = CampaignFactory(content=content_for("en"), channels=["sms"], validity_hours=2)
    before = timezone.now()
    campaign = door.campaign_confirm(campaign=campaign, actor=ops)
    assert campaign.state == Campaign.State.SENDING
    send = campaign_main_send(campaign)
    assert before + timedelta(hours=2) <= send.valid_until <= timezone.now() + timedelta(hours=2)

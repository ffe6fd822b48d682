"""`seed_demo --notices` leaves two demo notices queued for the worker, so `make run` shows real deliveries."""

import pytest
from django.core.management import call_command

from campaigns.models import Campaign, CampaignSend
from notifications.models import Send

pytestmark = pytest.mark.django_db


def test_demo_notices_are_confirmed_and_queued_for_the_pilot_group():
    """An outage notice and its resolved follow-up are sent (queued sends), one incident, to the pilot group."""
    call_command("seed_demo", "--notices", verbosity=0)
    campaigns = list(Campaign.objects.order_by("id"))
    assert [c.kind for c in campaigns] == ["outage", "resolved"]
    assert campaigns[1].parent_id == campaigns[0].pk and campaigns[0].incident_id == campaigns[1].incident_id
    assert all(c.state == Campaign.State.SENDING for c in campaigns)
    sends = Send.objects.filter(campaign_link__role=CampaignSend.Role.MAIN)
    assert sends.count() == 2 and set(sends.values_list("state", flat=True)) <= {"queued", "sending"}


def test_seed_without_notices_sends_nothing():
    """The plain seed (used by tests and `make seed`) creates no notice."""
    call_command("seed_demo", verbosity=0)
    assert not Campaign.objects.exists() and not Send.objects.exists()

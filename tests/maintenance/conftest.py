"""Fixtures of the planned-maintenance tests: an Ops user, and a maintenance notice with its window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Incident
from tests.factories import UserFactory
from tests.wizard.factories import CampaignFactory, IncidentFactory

CONTENT = {"en": {"sms": {"text": "{{ client_name }}: maintenance on {{ service }} from {{ started_at }}."}}}


@pytest.fixture
def ops(client):
    """An Ops user, logged in on the test client."""
    user = UserFactory(username="ops", groups=["Ops"])
    client.force_login(user)
    return user


def maintenance_draft(
    ops, *, start_in: timedelta = timedelta(hours=30), length: timedelta = timedelta(hours=2), offsets=(1440, 60)
) -> Campaign:
    """A maintenance notice ready to confirm, by SMS to every client, for a window ``start_in`` from now."""
    now = timezone.now()
    incident = IncidentFactory(
        kind="maintenance",
        title="Core router upgrade",
        started_at=now + start_in,
        expected_resolution_at=now + start_in + length,
        status=Incident.Status.DRAFT,
    )
    return CampaignFactory(
        incident=incident,
        kind="maintenance",
        channels=["sms"],
        content=CONTENT,
        created_by=ops,
        reminder_offsets=list(offsets),
    )

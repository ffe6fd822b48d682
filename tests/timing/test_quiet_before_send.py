"""Issue 15 item 5 before Send: the Send step says how many recipients quiet hours will hold back and until when,
counted with the rule materialize applies (the kind, mandatory, each recipient's own zone)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import IncidentKind
from campaigns.selectors.timing import quiet_hold
from tests.factories import ClientFactory
from tests.timing.quiet import window_around_tokyo_now
from tests.wizard.factories import CampaignFactory, content_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def clients_in_two_zones():
    for i in range(3):
        ClientFactory(phone=f"+8190000000{i:02d}", time_zone="Asia/Tokyo")
    for i in range(2):
        ClientFactory(phone=f"+5511900000{i:02d}", time_zone="America/Sao_Paulo")
    ClientFactory(phone="+819000009999", time_zone="Asia/Tokyo", uses_sms_service=False, is_active=False)


def send_step(client, campaign) -> str:
    return client.get(reverse("campaigns:wizard", args=[campaign.pk, "send"])).content.decode()


def test_the_send_step_counts_the_recipients_quiet_hours_hold(client, ops, settings, clients_in_two_zones):
    settings.QUIET_HOURS = window_around_tokyo_now()
    campaign = CampaignFactory(
        kind=IncidentKind.MAINTENANCE, content=content_for("en"), channels=["sms"], wizard_step="send"
    )
    page = send_step(client, campaign)
    note = re.search(r'id="quiet-hold">(.*?)</div>', page, re.S)
    assert note, page
    text = " ".join(note.group(1).split())
    assert text.startswith(f"3 recipients are inside quiet hours ({settings.QUIET_HOURS} their time)"), text
    hold = quiet_hold(campaign, timezone.now())
    assert hold is not None and hold.recipients == 3 and hold.until > timezone.now()


@pytest.mark.parametrize("change", ["outage", "mandatory", "no window"])
def test_no_note_where_quiet_hours_do_not_apply(client, ops, settings, clients_in_two_zones, change):
    settings.QUIET_HOURS = "" if change == "no window" else window_around_tokyo_now()
    campaign = CampaignFactory(
        kind=IncidentKind.OUTAGE if change == "outage" else IncidentKind.MAINTENANCE,
        mandatory=change == "mandatory",
        content=content_for("en"),
        channels=["sms"],
        wizard_step="send",
    )
    assert 'id="quiet-hold"' not in send_step(client, campaign)
    assert quiet_hold(campaign, timezone.now()) is None

"""Issue 13 item 4: recipients are not messages. 65 people who got 118 messages read "65 people · 118 messages" on
the dashboard, the notices list, the incident page and the notice page; never "118 recipients"."""

import re

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Incident
from notifications.models import Message, Send
from tests.factories import ClientFactory, UserFactory
from tests.tracking.factories import CampaignFactory, MessageFactory, SendFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(client):
    client.force_login(UserFactory(username="victor", groups=["Viewers"]))
    return client


@pytest.fixture
def notice():
    """Five people: three on SMS and email, two on SMS only: eight messages, all delivered."""
    from campaigns.models import CampaignSend

    campaign = CampaignFactory(state=Campaign.State.COMPLETED, title="Fibre cut, Lyon", audience_size=5)
    send = SendFactory(state=Send.State.COMPLETED)
    CampaignSend.objects.create(campaign=campaign, send=send, role=CampaignSend.Role.MAIN)
    for index in range(5):
        client = ClientFactory()
        MessageFactory(send=send, client=client, channel="sms", state=Message.State.DELIVERED)
        if index < 3:
            MessageFactory(send=send, client=client, channel="email", state=Message.State.DELIVERED)
    return campaign


def cell(html: str, row_marker: str, css_class: str) -> str:
    row = html[html.index(row_marker) :]
    found = re.search(rf'class="[^"]*{css_class}[^"]*">\s*([^<]*)<', row)
    assert found, f"no {css_class} cell after {row_marker}"
    return found.group(1).strip()


def test_dashboard_counts_people_and_messages_apart(viewer, notice):
    html = viewer.get(reverse("home")).content.decode()
    marker = f'data-campaign="{notice.pk}"'
    assert cell(html, marker, "notice-people") == "5" and cell(html, marker, "notice-messages") == "8"
    assert ">People<" in html and ">Messages<" in html


def test_notices_list_counts_people_and_messages_apart(viewer, notice):
    html = viewer.get(reverse("campaigns:list")).content.decode()
    marker = f'data-campaign="{notice.pk}"'
    assert cell(html, marker, "notice-people") == "5" and cell(html, marker, "notice-messages") == "8"


def test_incident_and_notice_pages_say_people_and_messages(viewer, notice):
    incident = viewer.get(reverse("campaigns:incident", args=[notice.incident_id])).content.decode()
    assert re.search(r"5 people · 8 messages · 8 delivered", incident)
    assert "8 recipients" not in incident
    detail = viewer.get(reverse("campaigns:detail", args=[notice.pk])).content.decode()
    assert re.search(r'id="progress-people">5 people<', detail) and "8 of 8 messages settled" in detail


def test_people_are_frozen_when_the_main_send_starts():
    """A scheduled notice counts its people again when it starts: what the pages show is who it went to."""
    from datetime import timedelta

    from django.utils import timezone

    from campaigns.services.schedule import scheduled_start
    from tests.factories import BucketFactory

    bucket = BucketFactory()
    bucket.clients.add(*[ClientFactory() for _ in range(2)])
    campaign = CampaignFactory(
        state=Campaign.State.SCHEDULED,
        audience={"buckets": [bucket.pk]},
        channels=["sms"],
        audience_size=2,
        send_mode=Campaign.SendMode.AT,
        send_at=timezone.now() - timedelta(minutes=1),
        incident=Incident.objects.create(title="Maintenance", status=Incident.Status.DRAFT),
    )
    bucket.clients.add(ClientFactory())
    assert scheduled_start(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    assert campaign.audience_size == 3
    assert campaign.incident.status == Incident.Status.OPEN

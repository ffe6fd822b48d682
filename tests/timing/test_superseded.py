"""Superseded notices: when an update or resolved notice of an incident starts, its people's unsent messages of the
incident's earlier notices (on its channels) become ``superseded`` and never go out; the Send step says how many
before Send."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignEvent, CampaignSend, IncidentKind
from campaigns.selectors.timing import superseded_recipients
from campaigns.services import followups, starting
from notifications.models import Message, Send
from notifications.selectors import send_progress_of
from tests.factories import ClientFactory
from tests.tracking.factories import SendFactory
from tests.wizard.factories import CampaignFactory, MessageTemplateFactory, TemplateVersionFactory, content_for

pytestmark = pytest.mark.django_db
S = Message.State


@pytest.fixture(autouse=True)
def resolved_text():
    """A default resolved text, so a resolved follow-up opens ready on the Send step."""
    template = MessageTemplateFactory(name="Service restored", kind="resolved")
    TemplateVersionFactory(
        template=template,
        language="en",
        sms_text="{{ service }} works again.",
        email_subject="Resolved",
        email_text="Resolved.",
    )


@pytest.fixture
def outage(ops):
    """An outage notice still sending: three clients not yet sent on SMS (one of them on email too), one delivered."""
    waiting = [ClientFactory() for _ in range(3)]
    reached = ClientFactory()
    campaign = CampaignFactory(
        state=Campaign.State.SENDING, kind=IncidentKind.OUTAGE, content=content_for("en"), created_by=ops
    )
    send = SendFactory(state=Send.State.SENDING)
    CampaignSend.objects.create(campaign=campaign, send=send, role=CampaignSend.Role.MAIN)
    for client in waiting:
        Message.objects.create(send=send, client=client, channel="sms", destination=client.phone, state=S.PENDING)
    Message.objects.create(send=send, client=waiting[0], channel="email", destination=waiting[0].email)
    Message.objects.create(send=send, client=reached, channel="sms", destination=reached.phone, state=S.DELIVERED)
    return campaign, send, waiting, reached


def test_resolved_supersedes_the_pending_outage_messages(client, ops, outage):
    """The Send step says "3 recipients have not yet received the outage notice"; after Send their pending outage
    messages are superseded (final), the delivered one is kept, and the trail says so."""
    campaign, send, waiting, reached = outage
    draft = followups.campaign_follow_up(campaign=campaign, kind="resolved", actor=ops)
    url = reverse("campaigns:wizard", args=[draft.pk, "send"])
    page = client.get(url)
    assert page.status_code == 200 and page.context["superseded"] == 3
    text = " ".join(page.content.decode().split())
    assert "3 recipients have not yet received the outage notice; they will receive only this one." in text
    response = client.post(url, {"expected": "4", "confirm": "on", "_send": "1"})
    assert response.status_code == 302
    states = dict(Message.objects.filter(send=send).values_list("client_id", "state").filter(channel="sms"))
    assert states == {**{c.pk: S.SUPERSEDED for c in waiting}, reached.pk: S.DELIVERED}
    assert Message.objects.get(send=send, channel="email").state == S.SUPERSEDED
    progress = send_progress_of(send)
    assert progress.by_state == {S.SUPERSEDED: 4, S.DELIVERED: 1} and progress.in_flight == 0
    assert CampaignEvent.objects.filter(campaign=draft, action="superseded").exists()
    draft.refresh_from_db()
    assert draft.state == Campaign.State.SENDING


def test_only_the_follow_ups_channels_and_people_are_superseded(ops, outage):
    """A resolved notice by SMS only leaves the pending email of the outage notice alone."""
    campaign, send, waiting, _reached = outage
    draft = followups.campaign_follow_up(campaign=campaign, kind="resolved", actor=ops)
    draft.channels = ["sms"]
    draft.audience = {"clients": [waiting[0].pk, waiting[1].pk]}
    draft.save(update_fields=["channels", "audience"])
    assert superseded_recipients(draft) == 2
    assert starting.supersede_earlier(draft, actor=ops) == 2
    assert Message.objects.get(send=send, channel="email").state == S.PENDING
    assert Message.objects.get(send=send, client=waiting[2], channel="sms").state == S.PENDING


def test_an_outage_notice_supersedes_nothing(ops, outage):
    """Only updates and resolved notices supersede: a second outage notice of the incident counts nothing."""
    campaign, _send, _waiting, _reached = outage
    second = CampaignFactory(incident=campaign.incident, kind=IncidentKind.OUTAGE, content=content_for("en"))
    assert superseded_recipients(second) == 0

"""The notice's page says which provider carried what, per channel, and leaves out what no provider has yet."""

import pytest
from django.urls import reverse

from notifications.models import Message, Send
from tests.factories import UserFactory
from tests.tracking.factories import add_messages, campaign_with_send

pytestmark = pytest.mark.django_db
S = Message.State


def test_the_page_shows_counts_by_provider(client):
    client.force_login(UserFactory(username="olivia", groups=["Ops"]))
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    for row in add_messages(send, {S.DELIVERED: 3, S.PENDING: 1}):
        row.provider = "infobip"
        row.save()
    for row in add_messages(send, {S.DELIVERED: 2, S.UNDELIVERABLE: 1}):
        row.provider = "twilio"
        row.save()
    for row in add_messages(send, {S.ACCEPTED: 2}, channel="email"):
        row.provider = "postmark"
        row.save()
    html = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert 'id="provider-counts"' in html
    assert 'data-provider="infobip">SMS 3 by Infobip' in html  # the pending row is not counted: nobody has it
    assert 'data-provider="twilio">SMS 3 by Twilio' in html
    assert 'data-channel="email" data-provider="postmark">Email 2 by Postmark' in html

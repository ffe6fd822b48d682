"""The campaign page follows its notice's state while it is open: polling lasts until the send settles."""

import pytest
from django.urls import reverse

from notifications.models import Message, Send
from tests.factories import UserFactory
from tests.tracking.factories import add_messages, campaign_with_send

pytestmark = pytest.mark.django_db

S = Message.State


@pytest.fixture
def ops_client(client):
    client.force_login(UserFactory(username="olivia", groups=["Ops"]))
    return client


def test_progress_keeps_polling_while_the_send_is_still_marked_sending(ops_client):
    """Every message settled but the send not yet marked completed: the partial still polls."""
    campaign, send = campaign_with_send(send_state=Send.State.SENDING)
    add_messages(send, {S.DELIVERED: 3})
    html = ops_client.get(reverse("campaigns:progress", args=[campaign.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" in html and "shown=sending" in html


def test_page_reloads_once_when_the_notice_state_changes(ops_client):
    """A poll that finds the notice in another state than the page shows asks htmx to refresh the page."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {S.DELIVERED: 3})
    url = reverse("campaigns:progress", args=[campaign.pk])
    response = ops_client.get(url + "?shown=sending", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"
    settled = ops_client.get(url + "?shown=completed", HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in settled and "hx-trigger" not in settled.content.decode()

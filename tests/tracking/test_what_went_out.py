"""Issue 13 item 5: show what went out. The notice page shows the exact text sent per language and channel (the
email as a page in a sandboxed frame), the test says which colleague got which language on which channel, and the
recipients list has the provider's status in its own column and a page per message with its whole text."""

import re

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignSend
from notifications.models import Message, Send
from tests.factories import ClientFactory, TestRecipientFactory, UserFactory
from tests.tracking.factories import CampaignFactory, MessageFactory, SendFactory

pytestmark = pytest.mark.django_db

LONG = "Bonjour, la fibre est coupée à Lyon nord depuis 9 h. " * 4  # longer than any clipped cell


@pytest.fixture
def ops_client(client):
    client.force_login(UserFactory(username="olivia", groups=["Ops"]))
    return client


@pytest.fixture
def notice():
    campaign = CampaignFactory(state=Campaign.State.COMPLETED, audience_size=2)
    send = SendFactory(
        state=Send.State.COMPLETED,
        content={
            "en": {"sms": {"text": "EN {{ client_name }}"}, "email": {"subject": "S", "text": "T", "html": "<p>x</p>"}},
            "fr": {"sms": {"text": "FR {{ client_name }}"}, "email": {"subject": "S", "text": "T", "html": "<p>x</p>"}},
            "de": {"sms": {"text": "DE {{ client_name }}"}},
        },
        fallback_language="en",
    )
    CampaignSend.objects.create(campaign=campaign, send=send, role=CampaignSend.Role.MAIN)
    anne, bea = ClientFactory(name="Anne", language="en"), ClientFactory(name="Béa", language="fr")
    MessageFactory(
        send=send,
        client=anne,
        channel="sms",
        language="en",
        body="EN Anne",
        state="delivered",
        parts=1,
        status_name="DELIVERED_TO_HANDSET",
    )
    MessageFactory(send=send, client=bea, channel="sms", language="fr", body=LONG, state="delivered", parts=2)
    MessageFactory(
        send=send,
        client=bea,
        channel="email",
        language="fr",
        subject="Panne",
        body="Texte",
        html="<p>Bonjour <b>Béa</b></p><script>alert(1)</script>",
        state="accepted",
    )
    return campaign, send


def test_the_notice_page_shows_each_language_and_channel_as_sent(ops_client, notice):
    campaign, _send = notice
    html = ops_client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    section = html[html.index('id="sent-texts"') :]
    panes = re.findall(r'data-tab-pane="([a-z]+-[a-z]+)"', section)
    assert panes == ["en-sms", "en-email", "fr-sms", "fr-email", "de-sms"]
    assert "EN Anne" in section and LONG in section
    # The email is a page in a frame that runs nothing (sandbox="" without allow-scripts); its HTML is escaped in
    # srcdoc, so it cannot break out into the portal's page.
    frame = re.search(r'<iframe[^>]*sandbox=""[^>]*srcdoc="([^"]*)"', section)
    assert frame and "&lt;b&gt;Béa&lt;/b&gt;" in frame.group(1) and "<script>" not in frame.group(1)
    # German was written but nothing went out in it yet: the text as written is shown.
    assert "DE {{ client_name }}" in section


def test_the_recipients_list_has_a_provider_status_column(ops_client, notice):
    campaign, _send = notice
    html = ops_client.get(reverse("campaigns:recipients", args=[campaign.pk])).content.decode()
    assert ">Provider status<" in html
    row = html[html.index("EN Anne") - 2000 : html.index("EN Anne")]
    assert re.search(r'provider-status">DELIVERED_TO_HANDSET<', row)
    assert re.search(r'class="small error[^"]*">–<', row)


def test_a_message_is_read_whole_on_its_own_page(ops_client, notice):
    campaign, send = notice
    message = Message.objects.get(send=send, channel="sms", language="fr")
    html = ops_client.get(reverse("campaigns:message", args=[campaign.pk, message.pk])).content.decode()
    assert LONG in html and "2 SMS parts" in html
    email = Message.objects.get(send=send, channel="email")
    page = ops_client.get(reverse("campaigns:message", args=[campaign.pk, email.pk])).content.decode()
    assert 'sandbox=""' in page and "Panne" in page
    other, _ = CampaignFactory(), None
    assert ops_client.get(reverse("campaigns:message", args=[other.pk, message.pk])).status_code == 404


def test_the_test_result_says_who_got_which_language_on_which_channel(ops_client):
    from tests.wizard.factories import CampaignFactory as DraftFactory

    draft = DraftFactory(wizard_step="send")
    send = SendFactory(is_test=True, state=Send.State.COMPLETED)
    CampaignSend.objects.create(campaign=draft, send=send, role=CampaignSend.Role.TEST)
    dana = TestRecipientFactory(name="Dana (on call)", language="fr")
    Message.objects.create(send=send, test_recipient=dana, channel="sms", language="fr", state="delivered")
    Message.objects.create(send=send, test_recipient=dana, channel="email", language="fr", state="delivered")
    html = ops_client.get(reverse("campaigns:wizard_test_status", args=[draft.pk])).content.decode()
    rows = re.findall(r"<tr data-state[^>]*><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", html)
    assert rows == [("Dana (on call)", "Français", "SMS"), ("Dana (on call)", "Français", "Email")]

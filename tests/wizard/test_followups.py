"""Issue 13 item 3: "Send update" and "Send resolved" open ready to send: the kind's default text applied in every
language the first notice used, the same frozen audience and the same channels, on the Send step."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign, CampaignSend
from notifications.models import Message
from tests.factories import ClientFactory
from tests.tracking.factories import SendFactory
from tests.wizard.factories import CampaignFactory, MessageTemplateFactory, TemplateVersionFactory, content_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(ops):
    """A first notice in English and French by SMS and email, delivered to three clients."""
    clients = [ClientFactory(language=lang) for lang in ("en", "fr", "fr")]
    campaign = CampaignFactory(
        state=Campaign.State.COMPLETED,
        content=content_for("en", "fr"),
        channels=["sms", "email"],
        audience={"builtin": ["all_clients"]},
        created_by=ops,
    )
    send = SendFactory(state="completed")
    CampaignSend.objects.create(campaign=campaign, send=send, role=CampaignSend.Role.MAIN)
    for client in clients:
        Message.objects.create(send=send, client=client, channel="sms", state="delivered", language=client.language)
    ClientFactory(language="en")  # joined later: not in the first notice's audience
    return campaign, clients


@pytest.fixture
def restored():
    template = MessageTemplateFactory(name="Service restored", kind="resolved", sms_stop_line=True)
    for language in ("en", "fr", "de"):
        TemplateVersionFactory(
            template=template,
            language=language,
            sms_text=f"[{language}] {{{{ service }}}} works again.",
            email_subject=f"[{language}] Resolved",
            email_text=f"[{language}] Resolved.",
        )
    return template


def test_send_resolved_opens_the_send_step_ready(client, sent, restored):
    """Two clicks: "Send resolved" opens the Send step with the text in en and fr, the same people and channels."""
    campaign, clients = sent
    response = client.post(reverse("campaigns:follow_up", args=[campaign.pk]), {"kind": "resolved"})
    draft = Campaign.objects.get(parent=campaign)
    assert response.status_code == 302 and response.url == reverse("campaigns:wizard", args=[draft.pk, "send"])
    assert set(draft.content) == {"en", "fr"}
    assert draft.content["fr"]["sms"]["text"] == "[fr] {{ service }} works again."
    assert draft.template == restored and draft.sms_stop_line
    assert draft.audience == {"clients": sorted(c.pk for c in clients)} and draft.channels == ["sms", "email"]
    page = client.get(response.url)
    assert page.status_code == 200 and page.context["reach"].recipients == 3
    assert [tab["label"] for tab in page.context["sample_tabs"]][:2] == ["English · SMS", "English · Email"]
    sent_now = client.post(response.url, {"expected": "3", "confirm": "on", "_send": "1"})
    assert sent_now.status_code == 302
    draft.refresh_from_db()
    assert draft.state == Campaign.State.SENDING


def test_send_update_without_an_update_template_starts_from_the_first_text(client, sent):
    """No update template yet: the update starts from the first notice's own text rather than an empty page."""
    campaign, _clients = sent
    response = client.post(reverse("campaigns:follow_up", args=[campaign.pk]), {"kind": "update"})
    draft = Campaign.objects.get(parent=campaign)
    assert draft.content == campaign.content
    assert response.url == reverse("campaigns:wizard", args=[draft.pk, "send"])


def test_send_resolved_without_any_text_opens_the_message_step(client, sent):
    """With no resolved template, the follow-up opens where the text is written (the audience is already set)."""
    campaign, _clients = sent
    response = client.post(reverse("campaigns:follow_up", args=[campaign.pk]), {"kind": "resolved"})
    draft = Campaign.objects.get(parent=campaign)
    assert draft.content == {} and response.url == reverse("campaigns:wizard", args=[draft.pk, "message"])

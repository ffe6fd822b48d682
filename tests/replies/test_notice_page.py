"""A notice's replies on its page and its JSON: count, newest first, the question's tally, masked numbers for staff
without the privacy permission; the question is set on the outage form's Message step."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.forms.question import parse_options
from campaigns.models import CampaignSend
from notifications.models import Message, Reply
from notifications.replies.parse import answer_of
from tests.factories import ClientFactory, UserFactory
from tests.tracking.factories import MessageFactory, campaign_with_send

pytestmark = pytest.mark.django_db
OPTIONS = [{"key": "1", "label": "Still without service"}, {"key": "2", "label": "Service is back"}]


def reply(message: Message, text: str, minutes_ago: int, n: int) -> Reply:
    return Reply.objects.create(
        dedupe_key=f"sms:{n}",
        inbound_id=str(n),
        channel="sms",
        sender=message.client.phone,
        client=message.client,
        message=message,
        text=text,
        answer=answer_of(text),
        received_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def notice():
    campaign, send = campaign_with_send(reply_question="Still without service?", reply_options=OPTIONS)
    messages = [
        MessageFactory(send=send, client=ClientFactory(phone=f"+3361234567{n}"), state="delivered") for n in range(4)
    ]
    for n, (text, ago) in enumerate([("1", 30), ("2", 20), ("1", 10), ("when?", 5)]):
        reply(messages[n], text, ago, n)
    _other, test_send = campaign_with_send(campaign=campaign, role=CampaignSend.Role.TEST)
    reply(MessageFactory(send=test_send, state="delivered"), "1", 1, 99)  # a colleague's test: not counted
    return campaign


def logged_in(client, *groups):
    client.force_login(UserFactory(username="-".join(groups).lower(), groups=list(groups)))
    return client


def test_the_page_shows_count_tally_and_newest_first_masked_for_viewers(client, notice):
    page = logged_in(client, "Viewers").get(reverse("campaigns:detail", args=[notice.pk])).content.decode()
    assert "4 replies" in page and "Still without service?" in page
    assert "+33••••••70" in page and "+33612345670" not in page
    replies = page[page.index('id="replies-list"') :]
    assert replies.index("when?") < replies.index("+33••••••72") < replies.index("+33••••••70")
    assert "static/js/replies.js" in page or "js/replies" in page


def test_json_tally_and_full_numbers_with_the_privacy_permission(client, notice):
    data = logged_in(client, "Admins").get(reverse("campaigns:replies", args=[notice.pk])).json()
    assert data["count"] == 4 and data["other"] == 1 and data["masked"] is False
    assert [(t["key"], t["count"], t["percent"]) for t in data["tally"]] == [("1", 2, 67), ("2", 1, 33)]
    assert data["replies"][0]["text"] == "when?" and data["replies"][-1]["sender"] == "+33612345670"


def test_json_masks_numbers_and_needs_login(client, notice):
    url = reverse("campaigns:replies", args=[notice.pk])
    assert client.get(url).status_code == 302
    data = logged_in(client, "Viewers").get(url).json()
    assert data["masked"] is True and all("•" in r["sender"] for r in data["replies"])
    assert all(r["client"] == "" for r in data["replies"])


def test_a_reply_text_is_escaped_on_the_page(client, notice):
    message = Message.objects.filter(send__campaign_link__campaign=notice).first()
    reply(message, "<script>alert(1)</script>", 0, 500)
    page = logged_in(client, "Viewers").get(reverse("campaigns:detail", args=[notice.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        (
            "1 = Still without service\n2 = Back",
            [{"key": "1", "label": "Still without service"}, {"key": "2", "label": "Back"}],
        ),
        ("yes = Affected\n\nno= Fine", [{"key": "YES", "label": "Affected"}, {"key": "NO", "label": "Fine"}]),
        ("", []),
    ],
)
def test_answer_lines_are_parsed(text, parsed):
    assert parse_options(text) == parsed


@pytest.mark.parametrize("text", ["1 Still", "1 = a\n1 = b", "= label", "\n".join(f"{n} = x" for n in range(7))])
def test_bad_answer_lines_are_refused(text):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        parse_options(text)


def test_message_step_saves_the_question(client):
    from campaigns.models import Campaign
    from tests.tracking.factories import CampaignFactory

    author = UserFactory(username="olivia", groups=["Ops"])
    client.force_login(author)
    draft = CampaignFactory(state=Campaign.State.DRAFT, created_by=author, channels=["sms"], wizard_step="message")
    url = reverse("campaigns:wizard", args=[draft.pk, "message"])
    form = client.get(url).context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data.update(
        {
            "en_sms_text": "Outage. Reply 1 if you are still without service, 2 if it works.",
            "fallback_language": "en",
            "reply_question": "Still without service?",
            "reply_options": "1 = Still without service\n2 = It works",
        }
    )
    data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
    response = client.post(url, data)
    assert response.status_code == 302, json.dumps(response.context["form"].errors if response.context else "")
    draft.refresh_from_db()
    assert draft.reply_question == "Still without service?"
    assert draft.reply_options == [{"key": "1", "label": "Still without service"}, {"key": "2", "label": "It works"}]


def test_keywords_are_labelled_and_retention_empties_old_texts_but_keeps_the_tally(client, notice):
    from notifications.retention import retention_apply

    message = Message.objects.filter(send__campaign_link__campaign=notice).first()
    stop = reply(message, "STOP", 0, 600)
    Reply.objects.filter(pk=stop.pk).update(keyword="stop")
    data = logged_in(client, "Viewers").get(reverse("campaigns:replies", args=[notice.pk])).json()
    assert data["replies"][0]["keyword"] == "opt-out"
    Reply.objects.update(created_at=timezone.now() - timedelta(days=200))
    assert retention_apply(days=90).replies_redacted == 6
    data = client.get(reverse("campaigns:replies", args=[notice.pk])).json()
    assert {r["text"] for r in data["replies"]} == {""}
    assert [t["count"] for t in data["tally"]] == [2, 1]


def test_a_duplicate_asks_the_same_question(notice):
    from campaigns.services.copies import campaign_duplicate

    copy = campaign_duplicate(campaign=notice, actor=UserFactory(username="olivia", groups=["Ops"]))
    copy.refresh_from_db()
    assert (copy.reply_question, copy.reply_options) == ("Still without service?", OPTIONS)

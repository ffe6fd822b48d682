"""Issue 13 item 1: a placeholder that renders empty never reaches people unnoticed.

The Send step lists every placeholder that would reach someone empty, per language and channel with how many
people, and refuses to send until it is filled or the gap is accepted with a tick that goes in the notice's record.
The count is set-based (a few queries whatever the audience's size), from the renderer the workers use.
"""

import pytest
from django.urls import reverse

from campaigns.models import CampaignEvent
from campaigns.selectors.gaps import campaign_empty_placeholders
from notifications.content import ContentRenderer
from notifications.models import Send
from tests.factories import BucketFactory, ClientFactory
from tests.wizard.factories import CampaignFactory

pytestmark = pytest.mark.django_db

CONTENT = {
    "en": {
        "sms": {"text": "{{ client_name }}: {{ service }} is down. Status: {{ expected_resolution }}"},
        "email": {"subject": "Down", "text": "Hello {{ account }}, status: {{ expected_resolution }}", "html": ""},
    },
    "fr": {
        "sms": {"text": "{{ client_name }} : {{ service }} en panne. Statut : {{ expected_resolution }}"},
        "email": {"subject": "Panne", "text": "Bonjour {{ account }}", "html": ""},
    },
}


def step_url(campaign, step):
    return reverse("campaigns:wizard", args=[campaign.pk, step])


@pytest.fixture
def draft(ops):
    """Three English and two French clients; one French client has no account name; the expected time is empty."""
    bucket = BucketFactory()
    for language in ("en", "en", "en", "fr"):
        bucket.clients.add(ClientFactory(language=language))
    bucket.clients.add(ClientFactory(language="fr", account=""))
    bucket.clients.add(ClientFactory(language="de", account=""))  # reads the English fallback
    return CampaignFactory(
        wizard_step="send",
        audience={"buckets": [bucket.pk]},
        content=CONTENT,
        variables={"service": "SMS service", "expected_resolution": ""},
        created_by=ops,
    )


def test_every_empty_placeholder_is_counted_per_language_and_channel(draft):
    """The shared value is empty for everyone who reads it; a client field only for clients whose field is blank."""
    gaps = {gap.name: gap for gap in campaign_empty_placeholders(draft)}
    assert set(gaps) == {"expected_resolution", "account"}
    assert gaps["expected_resolution"].shared and not gaps["account"].shared
    # The German client reads English (the fallback); French email text does not use the expected time.
    assert gaps["expected_resolution"].counts == {("en", "sms"): 4, ("fr", "sms"): 2, ("en", "email"): 4}
    assert gaps["account"].counts == {("fr", "email"): 1, ("en", "email"): 1}
    assert gaps["expected_resolution"].people == 6


def test_a_default_filter_fills_the_blank(draft):
    """{{ expected_resolution|default:"soon" }} never renders empty: it is not listed."""
    content = {
        lang: {"sms": {"text": '{{ expected_resolution|default:"soon" }} {{ account|default:"-" }}'}}
        for lang in ("en", "fr")
    }
    draft.content, draft.channels = content, ["sms"]
    draft.save()
    assert campaign_empty_placeholders(draft) == []


def test_counting_is_set_based(draft, django_assert_max_num_queries, monkeypatch):
    """A few queries (one per channel), whatever the audience, and no message rendered in the request."""
    from clients.models import Bucket

    bucket = Bucket.objects.get(pk=draft.audience["buckets"][0])
    bucket.clients.add(*[ClientFactory(language="fr", account="") for _ in range(40)])

    def refuse(*args, **kwargs):
        raise AssertionError("no message may be rendered to count empty placeholders")

    monkeypatch.setattr(ContentRenderer, "render", refuse)
    with django_assert_max_num_queries(2):
        gaps = {gap.name: gap for gap in campaign_empty_placeholders(draft)}
    assert gaps["account"].counts[("fr", "email")] == 41


def test_send_step_lists_the_gaps_and_refuses_to_send_until_accepted(client, draft):
    """The Send step shows each gap with its people per language and channel; sending without the tick is refused."""
    page = client.get(step_url(draft, "send"))
    html = page.content.decode()
    assert 'id="empty-placeholders"' in html
    assert "{{ expected_resolution }}" in html and "{{ account }}" in html
    row = page.context["gaps"][0]
    assert row.name == "expected_resolution" and ("fr", "sms", 2) in row.rows
    refused = client.post(step_url(draft, "send"), {"expected": "6", "confirm": "on", "_send": "1"})
    assert refused.status_code == 200 and "accept_empty" in refused.context["form"].errors
    assert not Send.objects.exists()
    sent = client.post(step_url(draft, "send"), {"expected": "6", "confirm": "on", "accept_empty": "on", "_send": "1"})
    assert sent.status_code == 302 and Send.objects.filter(is_test=False).count() == 1
    event = CampaignEvent.objects.get(campaign=draft, action="empty_accepted")
    assert event.actor.username == "ops" and "expected_resolution" in event.detail and "fr sms 2" in event.detail


def test_filling_the_value_removes_the_gap(client, draft):
    """Once the expected time is filled at the Message step, only the client field is left, and it can be accepted."""
    draft.variables = {**draft.variables, "expected_resolution": "14:00"}
    draft.save()
    assert [gap.name for gap in campaign_empty_placeholders(draft)] == ["account"]
    draft.content = {lang: {"sms": CONTENT[lang]["sms"]} for lang in CONTENT}
    draft.channels = ["sms"]
    draft.save()
    assert campaign_empty_placeholders(draft) == []
    response = client.post(step_url(draft, "send"), {"expected": "6", "confirm": "on", "_send": "1"})
    assert response.status_code == 302 and not CampaignEvent.objects.filter(action="empty_accepted").exists()

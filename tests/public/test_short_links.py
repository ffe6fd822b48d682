"""Short links: ``{{ incident_link }}`` renders a random code per notice, channel and language at its real length;
opening it counts one click for that notice and channel (no cookie, nothing of the reader) and leads to the page."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from campaigns.models import ShortLink
from campaigns.selectors.public import campaign_clicks
from campaigns.services import clicks
from notifications.content import INCIDENT_LINK_CODE_LENGTH, ContentRenderer, RecipientData
from notifications.models import Message, Send
from notifications.rendering import sms_count
from tests.conftest import redis_url
from tests.public.helpers import incident_of, notice

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^\s]+/i/([A-Za-z0-9]+)")


@pytest.fixture
def campaign(ops, audience):
    return notice(actor=ops, clients=audience)


def rendered_links(campaign) -> dict[tuple[str, str], str]:
    """What the worker renders for each message of the notice's main send: (channel, language) → code."""
    send = Send.objects.get(campaign_link__campaign=campaign, campaign_link__role="main")
    renderer = ContentRenderer(content=send.content, fallback_language=send.fallback_language, variables=send.variables)
    found = {}
    for message in Message.objects.filter(send=send).select_related("client"):
        client = message.client
        data = RecipientData(client_id=client.pk, name=client.name, account=client.account)
        text = renderer.render(recipient=data, language=message.language, channel=message.channel).text
        found[(message.channel, message.language)] = LINK.search(text).group(1)
    return found


def test_each_channel_and_language_gets_its_own_random_code(campaign):
    codes = rendered_links(campaign)
    # The German client reads the fallback language's message (English), so its link is the English one.
    assert set(codes) == {("sms", "en"), ("sms", "fr"), ("email", "en"), ("email", "fr")}
    assert len(set(codes.values())) == 4
    for code in codes.values():
        assert len(code) == INCIDENT_LINK_CODE_LENGTH and not code.isdigit()
    links = ShortLink.objects.filter(campaign=campaign)
    assert {(link.channel, link.language) for link in links} == {
        ("sms", "en"),
        ("sms", "fr"),
        ("email", "en"),
        ("email", "fr"),
    }


def test_the_sms_counter_counts_the_link_at_its_real_length(campaign):
    example = ContentRenderer(content=campaign.content, fallback_language="en", variables=campaign.variables).render(
        recipient=RecipientData(client_id=None, name="x"), language="en", channel="sms"
    )
    send = Send.objects.get(campaign_link__campaign=campaign, campaign_link__role="main")
    real = ContentRenderer(content=send.content, fallback_language="en", variables=send.variables).render(
        recipient=RecipientData(client_id=None, name="x"), language="en", channel="sms"
    )
    assert len(example.text) == len(real.text) and sms_count(example.text) == sms_count(real.text)
    assert f"{settings.PORTAL_BASE_URL}/i/" in real.text


def test_opening_a_link_counts_a_click_for_its_notice_and_channel_and_opens_the_page(client, campaign):
    codes = rendered_links(campaign)
    incident = incident_of(campaign)
    response = client.get(f"/i/{codes[('sms', 'fr')]}")
    assert response.status_code == 302
    assert response["Location"] == reverse("public:incident", args=[incident.public_id]) + "?lang=fr"
    assert not response.cookies and response["Cache-Control"] == "no-store"
    client.get(f"/i/{codes[('sms', 'en')]}")
    client.get(f"/i/{codes[('email', 'en')]}")
    assert campaign_clicks(campaign) == {"sms": 2, "email": 1}
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Fibre cut in Lyon" in page.content.decode()


def test_unknown_and_malformed_codes_answer_404(client, campaign):
    for path in ("/i/AAAAAAA", "/i/", "/i/../../etc", "/i/" + "x" * 200, "/i/%00"):
        assert client.get(path).status_code in (400, 404), path
    assert campaign_clicks(campaign) == {"sms": 0, "email": 0}


def test_a_link_to_a_hidden_incident_leads_to_the_status_page(client, ops, campaign):
    from campaigns.services.publishing import incident_visibility_set

    code = rendered_links(campaign)[("sms", "en")]
    incident_visibility_set(incident=incident_of(campaign), is_public=False, actor=ops)
    client.get(f"/i/{code}")  # remembered by this process until the public version moves
    from tests.public.helpers import forget_local_caches

    forget_local_caches()
    assert client.get(f"/i/{code}")["Location"] == reverse("public:status") + "?lang=en"


@pytest.mark.redis
def test_with_redis_a_click_is_an_increment_moved_to_the_database_by_the_flush(client, campaign):
    redis_cache = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url()}}
    with override_settings(CACHES=redis_cache):
        caches["default"].clear()
        code = rendered_links(campaign)[("sms", "en")]
        link = ShortLink.objects.get(code=code)
        for _ in range(5):
            client.get(f"/i/{code}")
        link.refresh_from_db()
        assert link.clicks == 0 and campaign_clicks(campaign) == {"sms": 5, "email": 0}
        assert clicks.clicks_flush() == 5
        link.refresh_from_db()
        assert link.clicks == 5 and campaign_clicks(campaign) == {"sms": 5, "email": 0}
        assert clicks.clicks_flush() == 0
        caches["default"].clear()

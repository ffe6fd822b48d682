"""Issue 16: the opens of a notice's short links, per channel, on the notice page and the staff incident page —
labelled as opens of the public page, never who opened them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from campaigns.models import ShortLink
from tests.public.helpers import incident_of, notice

pytestmark = pytest.mark.django_db


def opens_on(html: str) -> dict[str, int]:
    return {channel: int(n) for channel, n in re.findall(r'data-channel="(\w+)" data-opens="(\d+)"', html)}


def test_notice_and_incident_pages_show_opens_per_channel_and_nobody(client, ops, audience):
    campaign = notice(actor=ops, clients=audience)
    links = {(link.channel, link.language): link.code for link in ShortLink.objects.filter(campaign=campaign)}
    for code in (links[("sms", "fr")], links[("sms", "en")], links[("sms", "en")], links[("email", "en")]):
        assert client.get(f"/i/{code}").status_code == 302
    client.force_login(ops)

    detail = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    card = detail[detail.index('id="public-page"') :]
    card = card[: card.index("</section>")]
    assert opens_on(card) == {"email": 1, "sms": 3}
    assert "Public page opened from its links:" in card and "never recorded" in card
    assert reverse("public:incident", args=[incident_of(campaign).public_id]) in card
    for person in audience:  # the card names no one: counts only
        assert person.name not in card and person.email not in card

    page = client.get(reverse("campaigns:incident", args=[campaign.incident_id])).content.decode()
    timeline = page[page.index('id="timeline"') :]
    assert opens_on(timeline) == {"email": 1, "sms": 3}
    assert "never who opened them" in page


def test_a_notice_without_the_link_says_so(client, ops, audience):
    plain = {"en": {"sms": {"text": "{{ incident_title }}."}}}
    campaign = notice(actor=ops, clients=audience, content=plain, channels=("sms",))
    client.force_login(ops)
    detail = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert "carry no short link" in detail and not opens_on(detail)

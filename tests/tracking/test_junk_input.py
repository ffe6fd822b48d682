"""Junk in the query string of the notice pages answers with a clear page, never a 500 (issue 12, item 2)."""

import pytest
from django.urls import reverse

from notifications.models import Message, Send
from tests.factories import UserFactory
from tests.tracking.factories import add_messages, campaign_with_send

pytestmark = pytest.mark.django_db

THIRTY_DIGITS = "9" * 30


@pytest.fixture
def ops_client(client):
    client.force_login(UserFactory(username="olivia", groups=["Ops"]))
    return client


@pytest.mark.parametrize("query", ["²", "#²", "①", THIRTY_DIGITS, f"#{THIRTY_DIGITS}", "-1", "\x00", "x" * 5000])
def test_notice_search_with_junk_answers(ops_client, query):
    """Superscript digits, 30-digit numbers, NUL and huge strings search as text: a list, never a 500."""
    campaign_with_send(send_state=Send.State.COMPLETED)
    response = ops_client.get(reverse("campaigns:list"), {"q": query})
    assert response.status_code == 200


@pytest.mark.parametrize("param", ["after", "before"])
@pytest.mark.parametrize("value", ["²", "-5", "1e9", "\x00", "①"])
def test_recipients_paging_with_junk_answers(ops_client, param, value):
    """A cursor that is not a number starts from the first page instead of failing."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {Message.State.DELIVERED: 2})
    response = ops_client.get(reverse("campaigns:recipients", args=[campaign.pk]), {param: value})
    assert response.status_code == 200
    assert len(response.context["rows"]) == 2


@pytest.mark.parametrize("param", ["after", "before"])
def test_recipients_paging_past_any_id_is_an_empty_page(ops_client, param):
    """A 30-digit cursor is a number past every id: an empty page (or the last one), not a 500."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {Message.State.DELIVERED: 2})
    response = ops_client.get(reverse("campaigns:recipients", args=[campaign.pk]), {param: THIRTY_DIGITS})
    assert response.status_code == 200


@pytest.mark.parametrize("query", ["\x00", "²", THIRTY_DIGITS, "a" * 5000])
def test_recipients_search_with_junk_answers(ops_client, query):
    """The recipients search box takes anything."""
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    add_messages(send, {Message.State.DELIVERED: 1})
    for name in ("recipients", "failures"):
        response = ops_client.get(reverse(f"campaigns:{name}", args=[campaign.pk]), {"q": query, "state": query})
        assert response.status_code == 200, name


@pytest.mark.parametrize("value", ["²", THIRTY_DIGITS])
def test_list_page_and_filters_with_junk_answer(ops_client, value):
    """Page numbers and filters that name nothing answer with a list."""
    response = ops_client.get(reverse("campaigns:list"), {"page": value, "state": value, "kind": value})
    assert response.status_code == 200

"""Junk in the outage form's audience step answers beside the field, never with a 500 (issue 12, item 2)."""

import pytest
from django.urls import reverse

from tests.factories import BucketFactory, ClientFactory
from tests.wizard.factories import CampaignFactory

pytestmark = pytest.mark.django_db

THIRTY_DIGITS = "9" * 30


def audience_post(**overrides):
    data = {
        "match": "all",
        "channels": ["sms"],
        "cond-TOTAL_FORMS": "1",
        "cond-INITIAL_FORMS": "0",
        "_next": "1",
    }
    data.update(overrides)
    return data


@pytest.fixture
def draft(ops):
    bucket = BucketFactory()
    bucket.clients.add(ClientFactory())
    return CampaignFactory(wizard_step="audience", audience={}, channels=[], created_by=ops), bucket


def post(client, campaign, data):
    return client.post(reverse("campaigns:wizard", args=[campaign.pk, "audience"]), data)


@pytest.mark.parametrize("value", ["²", THIRTY_DIGITS, f"1,{THIRTY_DIGITS}", "-3", "1,²,2"])
def test_listed_clients_field_with_junk_is_refused_clearly(client, draft, value):
    """The hidden list of client ids from a CSV upload, tampered with, is an error on the form."""
    campaign, _ = draft
    response = post(client, campaign, audience_post(csv_clients=value))
    assert response.status_code == 200
    assert response.context["form"].errors


@pytest.mark.parametrize("value", ["²", THIRTY_DIGITS])
def test_listed_clients_counts_partial_with_junk(client, draft, value):
    """The live counts partial reads the same field and answers too."""
    campaign, _ = draft
    response = client.post(reverse("campaigns:wizard_counts", args=[campaign.pk]), audience_post(csv_clients=value))
    assert response.status_code == 200


@pytest.mark.parametrize(
    "field,op,value",
    [
        ("attributes.score", "gt", "²"),
        ("attributes.score", "gt", THIRTY_DIGITS),
        ("attributes.score", "lt", "NaN"),
        ("attributes.score", "gt", "inf"),
        ("attributes.seen", "before", "²"),
        ("attributes.seen", "after", "2026-13-45"),
        ("attributes.seen", "after", "99999-01-01"),
        ("attributes.\x00", "is", "x"),
        ("attributes." + "k" * 300, "is", "x"),
        ("region", "in", "," * 400),
        ("region", "is", "\x00"),
        ("tags", "contains", "\x00"),
        ("is_active", "is", "maybe"),
        ("region", "gt", "3"),
        ("attributes.score", "nope", "3"),
    ],
)
def test_conditions_with_junk_are_refused_clearly(client, draft, field, op, value):
    """Segment conditions that cannot be compiled or compared are errors on the form, not a 500."""
    campaign, bucket = draft
    data = audience_post(buckets=[bucket.pk], **{"cond-0-field": field, "cond-0-op": op, "cond-0-value": value})
    response = post(client, campaign, data)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert response.context["form"].errors or response.context["form"].conditions.errors


@pytest.mark.parametrize("value", ["²", THIRTY_DIGITS, "-1"])
def test_bucket_and_segment_choices_with_junk(client, draft, value):
    """A bucket or segment id that is not one answers beside the field."""
    campaign, _ = draft
    response = post(client, campaign, audience_post(buckets=[value], segment=value))
    assert response.status_code == 200
    assert {"buckets", "segment"} & set(response.context["form"].errors)


@pytest.mark.parametrize("query", ["\x00", "²", "a" * 5000])
def test_preview_recipient_search_with_junk(client, ops, query):
    """The preview's recipient search takes anything."""
    campaign = CampaignFactory(wizard_step="preview", created_by=ops)
    response = client.get(reverse("campaigns:wizard_recipients", args=[campaign.pk]), {"q": query, "page": query})
    assert response.status_code == 200

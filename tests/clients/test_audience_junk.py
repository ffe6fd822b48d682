"""Junk in audience definitions is refused with a reason, never a server error (issue 12): huge ids, non-ASCII
digits, values a database cannot hold, oversized lists; and a segment saved with such a definition before the
checks still shows in the admin, marked invalid."""

from __future__ import annotations

import pytest
from django.urls import reverse

from clients.models import Segment
from clients.selectors import AudienceError, audience_counts, audience_queryset, audience_validate
from tests.factories import BucketFactory, ClientFactory, UserFactory

pytestmark = pytest.mark.django_db

JUNK = [
    {"buckets": [10**30]},
    {"buckets": [2**63]},
    {"buckets": ["²"]},
    {"buckets": ["١٢"]},
    {"buckets": [-1]},
    {"buckets": [0]},
    {"buckets": list(range(1, 20_002))},
    {"clients": ["99999999999999999999999"]},
    {"segment": "²"},
    {"segment": 10**30},
    {"segment": -3},
    {"conditions": [{"field": "name", "op": "is", "value": "a\x00b"}]},
    {"conditions": [{"field": "name", "op": "is", "value": "\ud800"}]},
    {"conditions": [{"field": "name", "op": "in", "value": ["x"] * 5_000}]},
    {"conditions": [{"field": "attributes.spend", "op": "gt", "value": "1e400"}]},
    {"conditions": [{"field": "attributes.spend", "op": "gt", "value": "nan"}]},
    {"conditions": [{"field": "attributes.spend", "op": "gt", "value": 10**400}]},
    {"conditions": [{"field": "attributes.last", "op": "before", "value": "٢٠٢٦-٠١-٠١"}]},
    {"conditions": [{"field": "tags", "op": "is", "value": "x" * 10_000}]},
    {"conditions": [{"field": "name", "op": "is", "value": "x"}] * 500},
    {"conditions": [{"field": "name", "op": "is", "value": "x", "\x00": 1}]},
    {"builtin": ["all_clients", "\x00"]},
    {"conditions": [{"field": "name", "op": "is", "value": "x", "note": "extra"}]},
]


@pytest.mark.parametrize("definition", JUNK, ids=lambda d: repr(d)[:60])
def test_junk_is_refused_with_a_reason_before_any_query(definition) -> None:
    with pytest.raises(AudienceError) as caught:
        audience_validate(definition)
    assert str(caught.value)
    with pytest.raises(AudienceError):
        audience_counts(definition, ["sms", "email"])


def test_ordinary_ids_still_work() -> None:
    bucket = BucketFactory()
    member = ClientFactory()
    bucket.clients.add(member)
    ClientFactory()
    assert list(audience_queryset({"buckets": [bucket.pk]})) == [member]
    assert list(audience_queryset({"buckets": [str(bucket.pk)], "clients": [member.pk]})) == [member]


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(username="segments", groups=["Admins"], is_staff=True))
    return client


@pytest.mark.parametrize("definition", [{"buckets": [10**30]}, {"buckets": ["²"]}, {"segment": 10**25}])
def test_a_segment_saved_with_junk_shows_as_invalid_in_the_admin(admin_client_, definition) -> None:
    """Saved before the checks (or by hand): the list and the change page still open and say what is wrong."""
    segment = Segment.objects.create(name="Legacy", definition=definition)
    listing = admin_client_.get(reverse("admin:clients_segment_changelist"))
    assert listing.status_code == 200 and "invalid:" in listing.content.decode()
    change = admin_client_.get(reverse("admin:clients_segment_change", args=[segment.pk]))
    assert change.status_code == 200 and "invalid:" in change.content.decode()


@pytest.mark.parametrize(
    "fields",
    [
        {"buckets": ["1000000000000000000000000000000"]},
        {"buckets": ["²"]},
        {"include": "10000000000000000000000000"},
        {"cond-0-field": "attributes.x", "cond-0-op": "gt", "cond-0-value": "1e400"},
        {"cond-0-field": "name", "cond-0-op": "is", "cond-0-value": "x" * 300_000},
        {"cond-0-field": "name", "cond-0-op": "is", "cond-0-value": "nul\x00here"},
        {"cond-0-field": "attributes.last_visit", "cond-0-op": "older_than", "cond-0-value": "6 fortnights"},
        {"cond-TOTAL_FORMS": "100000"},
    ],
    ids=["huge-id", "superscript", "huge-segment", "huge-number", "long", "nul", "bad-period", "many-rows"],
)
def test_the_segment_builder_refuses_junk_with_a_message(admin_client_, fields: dict[str, str]) -> None:
    """Whatever the builder's fields hold, the page answers with the form and its errors; nothing is saved."""
    data = {"name": "Junk", "description": "", "match": "all", "builtin": "sms_clients"}
    data.update({"cond-TOTAL_FORMS": "1", "cond-INITIAL_FORMS": "0", "cond-MAX_NUM_FORMS": "20"})
    data.update(fields)
    response = admin_client_.post(reverse("admin:clients_segment_add"), data)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors or form.conditions.errors or form.conditions.non_form_errors()
    assert not Segment.objects.exists()

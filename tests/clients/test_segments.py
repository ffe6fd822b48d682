"""Issue 13 item 9, segments: relative dates evaluated when the audience is used, attribute names suggested from
the data, and the outage form's audience saved as a segment."""

from __future__ import annotations

from datetime import date
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients import audience as audience_module
from clients.attribute_keys import attribute_keys, attribute_keys_forget
from clients.audience_values import AudienceError
from clients.condition_builder import field_suggestions
from clients.importing import clients_import_csv
from clients.models import Segment
from clients.segments import SegmentNotSaved, segment_save_from_conditions
from clients.selectors import audience_queryset, audience_validate
from tests.factories import BucketFactory, ClientFactory, UserFactory
from tests.wizard.factories import CampaignFactory

pytestmark = pytest.mark.django_db
NOT_SEEN = {"conditions": [{"field": "attributes.last_visit", "op": "older_than", "value": "6 months"}]}
RECENT = {"conditions": [{"field": "attributes.last_visit", "op": "within_last", "value": "30 days"}]}


def refs(definition, today: date) -> set[str]:
    with mock.patch.object(audience_module.timezone, "localdate", return_value=today):
        return set(audience_queryset(definition).values_list("external_ref", flat=True))


def test_a_saved_not_seen_for_6_months_segment_does_not_go_stale():
    """The same saved definition, used on two days months apart, matches the clients not seen for six months on
    each day: relative dates are measured when the audience is computed."""
    ClientFactory(external_ref="MARCH", attributes={"last_visit": "2026-03-01"})
    ClientFactory(external_ref="JULY", attributes={"last_visit": "2026-07-20T08:30:00"})
    ClientFactory(external_ref="NEVER", attributes={})
    ClientFactory(external_ref="JUNK", attributes={"last_visit": 42})
    segment = Segment.objects.create(name="Not seen for 6 months", definition=NOT_SEEN)
    assert refs({"segment": segment.pk}, date(2026, 8, 15)) == set()
    assert refs({"segment": segment.pk}, date(2026, 10, 1)) == {"MARCH"}
    assert refs({"segment": segment.pk}, date(2027, 2, 1)) == {"MARCH", "JULY"}


def test_within_the_last_days_counts_today_and_not_the_future():
    ClientFactory(external_ref="TODAY", attributes={"last_visit": "2026-11-30T17:00:00"})
    ClientFactory(external_ref="MONTH", attributes={"last_visit": "2026-11-01"})
    ClientFactory(external_ref="OLD", attributes={"last_visit": "2026-10-30"})
    ClientFactory(external_ref="FUTURE", attributes={"last_visit": "2026-12-24"})
    assert refs(RECENT, date(2026, 11, 30)) == {"TODAY", "MONTH"}


@pytest.mark.parametrize(
    "value", ["6 fortnights", "0 days", "-3 days", "100000 years", "", ["6 months"], {"amount": True, "unit": "days"}]
)
def test_a_bad_length_of_time_is_refused_with_the_reason(value):
    with pytest.raises(AudienceError, match="not a length of time"):
        audience_validate({"conditions": [{"field": "attributes.x", "op": "older_than", "value": value}]})


def test_attribute_names_are_suggested_from_the_data_and_cached():
    """The builder offers the client fields and every attribute name clients hold; the names are read once and
    cached, and an import that writes new ones makes the next read fresh."""
    attribute_keys_forget()
    ClientFactory(attributes={"last_visit": "2026-01-01", "monthly_spend": 12})
    ClientFactory(attributes={"site": "Lyon"})
    suggestions = field_suggestions()
    assert suggestions[:3] == ["name", "account", "email"]
    assert {"attributes.last_visit", "attributes.monthly_spend", "attributes.site"} <= set(suggestions)
    with CaptureQueriesContext(connection) as captured:
        attribute_keys()
    assert len(captured.captured_queries) == 0
    clients_import_csv(data=b"external_ref,name,attr_contract_end\nC-9,Nine,2027-01-01\n", filename="c.csv")
    assert "contract_end" in attribute_keys()


def test_saving_the_outage_forms_audience_as_a_segment():
    """The service keeps the sources and conditions (not a CSV's one-off list of clients), checks them, refuses a
    taken name, and requires the permission to add segments."""
    bucket = BucketFactory()
    admin = UserFactory(username="registry-admin", groups=["Admins"], is_staff=True)
    definition = {"builtin": ["sms_clients"], "buckets": [bucket.pk], "clients": [1, 2], "match": "all", **NOT_SEEN}
    segment = segment_save_from_conditions(actor=admin, name="Dormant SMS", definition=definition)
    assert segment.definition == {key: value for key, value in definition.items() if key != "clients"}
    with pytest.raises(SegmentNotSaved, match="already called"):
        segment_save_from_conditions(actor=admin, name="dormant sms", definition=definition)
    with pytest.raises(SegmentNotSaved, match="unknown field"):
        segment_save_from_conditions(
            actor=admin, name="Typo", definition={"conditions": [{"field": "regoin", "op": "is", "value": "x"}]}
        )
    with pytest.raises(PermissionDenied):
        segment_save_from_conditions(actor=UserFactory(username="ops", groups=["Ops"]), name="X", definition=definition)


def audience_post(**extra: str) -> dict[str, str]:
    data = {
        "builtin": "sms_clients",
        "match": "all",
        "channels": "sms",
        "cond-TOTAL_FORMS": "1",
        "cond-INITIAL_FORMS": "0",
        "cond-MAX_NUM_FORMS": "20",
        "cond-0-field": "attributes.last_visit",
        "cond-0-op": "older_than",
        "cond-0-value": "6 months",
    }
    data.update(extra)
    return data


def test_the_audience_steps_save_as_segment_view(client):
    """The step's form, posted to "Save as segment": the segment exists with the conditions on the page; htmx gets
    a line saying so; someone without the permission gets 403 and nothing is saved."""
    ClientFactory(attributes={"last_visit": "2020-01-01"})
    campaign = CampaignFactory(wizard_step="audience")
    url = reverse("campaigns:save_segment", args=[campaign.pk])
    client.force_login(UserFactory(username="ops", groups=["Ops"]))
    assert client.post(url, audience_post(segment_name="Dormant")).status_code == 403
    client.force_login(UserFactory(username="boss", groups=["Ops", "Admins"], is_staff=True))
    response = client.post(url, audience_post(segment_name="Dormant"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Saved as the segment" in response.text
    segment = Segment.objects.get(name="Dormant")
    assert segment.definition == {"builtin": ["sms_clients"], "match": "all", **NOT_SEEN}
    again = client.post(url, audience_post(segment_name="Dormant"), HTTP_HX_REQUEST="true")
    assert "Not saved" in again.text and "already called" in again.text
    plain = client.post(url, audience_post(segment_name="Dormant 2"))
    assert plain.status_code == 302 and plain["Location"].endswith("/wizard/audience/")
    assert Segment.objects.filter(name="Dormant 2").exists()
    page = client.get(reverse("campaigns:wizard", args=[campaign.pk, "audience"]))
    assert "Save as segment" in page.text

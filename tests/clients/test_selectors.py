"""Audience resolution on PostgreSQL: every operator, both match modes, the union of sources, exclusions."""

from __future__ import annotations

import pytest

from clients.models import BucketMembership
from clients.selectors import (
    AudienceError,
    audience_counts,
    audience_queryset,
    audience_validate,
    exclusion_reason,
)
from tests.factories import BucketFactory, ClientFactory, SegmentFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def refs(definition: dict) -> list[str]:
    return sorted(audience_queryset(definition).values_list("external_ref", flat=True))


def cond(field: str, op: str, value) -> dict:
    return {"conditions": [{"field": field, "op": op, "value": value}]}


@pytest.fixture
def people():
    """Three clients with different columns, tags and attributes."""
    return {
        "ann": ClientFactory(
            external_ref="ANN",
            name="Ann Smith",
            region="North",
            plan="business",
            language="en",
            uses_sms_service=True,
            uses_email_service=False,
            tags=["vip", "gold"],
            attributes={"monthly_spend": 150, "last_visit": "2025-11-03", "beta": True},
        ),
        "bob": ClientFactory(
            external_ref="BOB",
            name="Bob Martin",
            region="South",
            plan="home",
            language="fr",
            uses_sms_service=False,
            uses_email_service=True,
            tags=["gold"],
            attributes={"monthly_spend": "80.5", "last_visit": "2026-02-10T08:00:00"},
        ),
        "cy": ClientFactory(
            external_ref="CY",
            name="Cy Weber",
            region="North",
            plan="home",
            language="de",
            uses_sms_service=True,
            uses_email_service=True,
            is_active=False,
            attributes={"monthly_spend": "n/a"},
        ),
    }


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("region", "is", "North", ["ANN", "CY"]),
        ("region", "is_not", "North", ["BOB"]),
        ("region", "in", ["South", "East"], ["BOB"]),
        ("name", "contains", "mart", ["BOB"]),
        ("language", "is", "de", ["CY"]),
        ("is_active", "is", False, ["CY"]),
        ("is_active", "is_not", "false", ["ANN", "BOB"]),
        ("uses_sms_service", "is", True, ["ANN", "CY"]),
        ("uses_email_service", "is", "yes", ["BOB", "CY"]),
        ("tags", "contains", "vip", ["ANN"]),
        ("tags", "is", "gold", ["ANN", "BOB"]),
        ("tags", "is_not", "vip", ["BOB", "CY"]),
        ("tags", "in", ["vip", "nope"], ["ANN"]),
        ("attributes.monthly_spend", "gt", 100, ["ANN"]),
        ("attributes.monthly_spend", "lt", 100, ["BOB"]),
        ("attributes.monthly_spend", "gt", "80", ["ANN", "BOB"]),
        ("attributes.monthly_spend", "is", 150, ["ANN"]),
        ("attributes.monthly_spend", "in", [150, "80.5"], ["ANN", "BOB"]),
        ("attributes.monthly_spend", "is_not", 150, ["BOB", "CY"]),
        ("attributes.monthly_spend", "contains", "N/", ["CY"]),
        ("attributes.last_visit", "before", "2026-01-01", ["ANN"]),
        ("attributes.last_visit", "after", "2026-01-01", ["BOB"]),
        ("attributes.beta", "is", True, ["ANN"]),
        ("attributes.beta", "is_not", True, ["BOB", "CY"]),
    ],
)
def test_operator(people, field, op, value, expected):
    """Each operator on columns and attributes matches exactly the expected clients; bad values never match."""
    assert refs(cond(field, op, value)) == expected


def test_match_all_and_any(people):
    """match=all intersects the conditions, match=any unites them."""
    conditions = [{"field": "region", "op": "is", "value": "North"}, {"field": "plan", "op": "is", "value": "home"}]
    assert refs({"match": "all", "conditions": conditions}) == ["CY"]
    assert refs({"match": "any", "conditions": conditions}) == ["ANN", "BOB", "CY"]
    assert refs({"conditions": conditions}) == ["CY"]


def test_no_source_means_everyone(people):
    """Without builtin, buckets, segment or clients, the base set is every client, inactive ones included."""
    assert refs({}) == ["ANN", "BOB", "CY"]


def test_builtin_audiences(people):
    """The built-in audiences follow the services each client uses."""
    assert refs({"builtin": ["sms_clients"]}) == ["ANN", "CY"]
    assert refs({"builtin": ["email_clients"]}) == ["BOB", "CY"]
    assert refs({"builtin": ["all_clients"], "buckets": []}) == ["ANN", "BOB", "CY"]


def test_union_of_buckets_segment_and_explicit_clients(people):
    """Buckets, a segment and explicit ids add up, without duplicating a client in several buckets."""
    first, second = BucketFactory(), BucketFactory()
    for bucket in (first, second):
        BucketMembership.objects.create(bucket=bucket, client=people["ann"])
    segment = SegmentFactory(definition=cond("language", "is", "fr"))
    assert refs({"buckets": [first.id, second.id]}) == ["ANN"]
    assert audience_queryset({"buckets": [first.id, second.id]}).count() == 1
    assert refs({"buckets": [first.id], "segment": segment.id}) == ["ANN", "BOB"]
    assert refs({"buckets": [first.id], "segment": segment.id, "clients": [people["cy"].id]}) == ["ANN", "BOB", "CY"]
    narrowed = {"buckets": [first.id], "clients": [people["cy"].id], **cond("region", "is", "North")}
    assert refs(narrowed) == ["ANN", "CY"]


def test_empty_source_matches_nobody(people):
    """An explicit but empty list (a follow-up to nobody) matches nobody, never everyone."""
    assert refs({"clients": []}) == []
    assert refs({"buckets": [], "builtin": []}) == []


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (cond("regoin", "is", "x"), "unknown field 'regoin'"),
        (cond("region", "like", "x"), "unknown operator 'like'"),
        (cond("region", "gt", 3), "does not apply to 'region'"),
        (cond("attributes.monthly_spend", "gt", "lots"), "is not a number"),
        (cond("attributes.last_visit", "before", "yesterday"), "is not a date"),
        (cond("attributes.a__b", "is", "x"), "not a valid attribute name"),
        (cond("region", "in", "North"), "non-empty list"),
        ({"match": "some"}, "'match' must be"),
        ({"builtin": ["sms"]}, "Unknown built-in audience"),
        ({"buckets": ["x"]}, "not an id"),
        ({"segment": 999999}, "does not exist"),
        ({"audience": []}, "Unknown key"),
        ([], "must be a JSON object"),
    ],
)
def test_invalid_definitions_raise_audience_error(definition, message):
    """A bad definition raises AudienceError (a ValueError) with a message the form can show."""
    with pytest.raises(AudienceError, match=message):
        audience_queryset(definition)
    assert issubclass(AudienceError, ValueError)


def test_segment_cycle_is_an_error():
    """A segment that includes itself is refused instead of recursing."""
    segment = SegmentFactory()
    segment.definition = {"segment": segment.id}
    segment.save()
    with pytest.raises(AudienceError, match="refers back"):
        audience_validate({"segment": segment.id})


def test_exclusion_reasons_in_order():
    """Each client gets the first reason that applies: inactive, no address, opted out, muted kind."""
    ClientFactory(external_ref="OK", muted_kinds=["maintenance"])
    ClientFactory(external_ref="INACTIVE", is_active=False, phone="", sms_consent=False)
    ClientFactory(external_ref="NOPHONE", phone="", sms_consent=False)
    ClientFactory(external_ref="OPTOUT", sms_consent=False, muted_kinds=["outage"])
    ClientFactory(external_ref="MUTED", muted_kinds=["outage", "update"])
    rows = dict(
        audience_queryset({})
        .annotate(reason=exclusion_reason("sms", notice_kind="outage"))
        .values_list("external_ref", "reason")
    )
    assert rows == {
        "OK": "",
        "INACTIVE": "inactive",
        "NOPHONE": "no_phone",
        "OPTOUT": "opted_out",
        "MUTED": "muted_kind",
    }
    mandatory = dict(
        audience_queryset({})
        .annotate(reason=exclusion_reason("sms", notice_kind="outage", mandatory=True))
        .values_list("external_ref", "reason")
    )
    assert mandatory["MUTED"] == ""


def test_counts_per_channel_and_language():
    """audience_counts gives matched, eligible per channel, each exclusion reason and eligible per language."""
    ClientFactory(language="en")
    ClientFactory(language="fr")
    ClientFactory(language="fr", email="")
    ClientFactory(language="de", is_active=False)
    ClientFactory(language="en", email_consent=False, phone="")
    ClientFactory(language="de", muted_kinds=["maintenance"])
    counts = audience_counts({}, ["sms", "email"], notice_kind="maintenance")
    assert counts.matched == 6
    sms, email = counts.per_channel["sms"], counts.per_channel["email"]
    assert sms.eligible == 3
    assert sms.excluded == {"inactive": 1, "no_phone": 1, "unreachable": 0, "opted_out": 0, "muted_kind": 1}
    assert sms.per_language == {"en": 1, "fr": 2}
    assert email.eligible == 2
    assert email.excluded == {"inactive": 1, "no_email": 1, "bounced": 0, "opted_out": 1, "muted_kind": 1}
    assert email.per_language == {"en": 1, "fr": 1}
    assert audience_counts({}, ["email"], notice_kind="maintenance", mandatory=True).per_channel["email"].eligible == 3


def test_audience_usable_in_insert_select(people):
    """The audience stays a plain Client queryset: values() with the reason annotation needs one query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bucket = BucketFactory()
    BucketMembership.objects.create(bucket=bucket, client=people["ann"])
    with CaptureQueriesContext(connection) as captured:
        rows = list(
            audience_queryset({"buckets": [bucket.id], **cond("attributes.monthly_spend", "gt", 1)})
            .annotate(reason=exclusion_reason("sms"))
            .values_list("pk", "reason")
        )
    assert rows == [(people["ann"].pk, "")]
    assert len(captured.captured_queries) == 1

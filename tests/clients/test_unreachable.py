"""Issue 13 item 10: addresses the provider reports as undeliverable for good are marked on the client (when and
why) and excluded from later notices with their own reason, until the address changes or an admin clears it."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from clients.importing import clients_import_csv
from clients.models import Client
from clients.selectors import audience_counts, audience_queryset, exclusion_reason
from notifications.models import Message
from notifications.providers.infobip.reports import report_from_result
from notifications.services.reports import reports_record
from tests.factories import ClientFactory, UserFactory
from tests.pipeline.factories import MessageFactory

pytestmark = pytest.mark.django_db

# The sandbox's undeliverable outcome (infobip_sandbox/protocol.py: numbers ending in 666, "bounce…" addresses).
UNDELIVERABLE = {"groupId": 2, "groupName": "UNDELIVERABLE", "id": 9, "name": "UNDELIVERABLE_NOT_DELIVERED"}
ABSENT = {"groupId": 1, "groupName": "HANDSET_ERRORS", "id": 27, "name": "EC_ABSENT_SUBSCRIBER", "permanent": True}


def report_for(message: Message, *, error: dict, status: dict = UNDELIVERABLE):
    result = {"messageId": f"op-{message.pk}", "status": status, "error": {**error, "description": "Absent"}}
    return report_from_result(result, strict=True)


def test_a_permanent_undeliverable_report_marks_the_address_and_later_notices_skip_it():
    """An email that bounced for good marks the client's address (time and reason); the next audience counts it
    under its own reason, "bounced", and the skip reason is that too."""
    ann = ClientFactory(email="bounce.ann@customer.example.com")
    message = MessageFactory(client=ann, channel="email", destination=ann.email)
    reports_record(reports=[report_for(message, error=ABSENT)])
    ann.refresh_from_db()
    assert ann.email_bounced_at is not None and "EC_ABSENT_SUBSCRIBER" in ann.email_bounce_reason
    assert ann.phone_unreachable_at is None
    counts = audience_counts({}, ["email", "sms"])
    assert counts.per_channel["email"].excluded["bounced"] == 1 and counts.per_channel["email"].eligible == 0
    assert counts.per_channel["sms"].eligible == 1
    reason = audience_queryset({}).annotate(r=exclusion_reason("email")).values_list("r", flat=True).get()
    assert reason == Message.SkipReason.BOUNCED


def test_an_unreachable_number_is_marked_for_sms_only():
    bob = ClientFactory()
    message = MessageFactory(client=bob, channel="sms", destination=bob.phone)
    reports_record(reports=[report_for(message, error=ABSENT)])
    counts = audience_counts({}, ["sms", "email"])
    assert counts.per_channel["sms"].excluded["unreachable"] == 1
    assert counts.per_channel["email"].eligible == 1


@pytest.mark.parametrize(
    "error",
    [{**ABSENT, "permanent": False}, {k: v for k, v in ABSENT.items() if k != "permanent"}],
    ids=["temporary", "not-said"],
)
def test_a_temporary_failure_marks_nothing(error):
    cy = ClientFactory()
    reports_record(reports=[report_for(MessageFactory(client=cy, channel="sms", destination=cy.phone), error=error)])
    cy.refresh_from_db()
    assert cy.phone_unreachable_at is None


def test_a_report_about_an_old_address_marks_nothing():
    """The client changed the number after the send: a late report about the old one leaves the new one alone."""
    dee = ClientFactory()
    message = MessageFactory(client=dee, channel="sms", destination="+33611111110")
    reports_record(reports=[report_for(message, error=ABSENT)])
    dee.refresh_from_db()
    assert dee.phone_unreachable_at is None


def mark(client: Client) -> Client:
    message = MessageFactory(client=client, channel="email", destination=client.email)
    reports_record(reports=[report_for(message, error=ABSENT)])
    client.refresh_from_db()
    assert client.email_bounced_at is not None
    return client


@pytest.fixture
def admin_web(client):
    client.force_login(UserFactory(username="registry-admin", groups=["Admins"], is_staff=True))
    return client


def test_a_new_address_saved_in_the_admin_clears_the_mark(admin_web):
    ann = mark(ClientFactory(email="old@customer.example.com"))
    change = reverse("admin:clients_client_change", args=[ann.pk])
    form = admin_web.get(change).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "attributes"}
    data.update(
        email="new@customer.example.com",
        attributes="{}",
        muted_kinds=[],
        **{
            f"{prefix}-{key}": "0"
            for prefix in ("memberships", "consent_events")
            for key in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
    )
    data = {k: v for k, v in data.items() if not isinstance(v, bool) or v}
    response = admin_web.post(change, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    ann.refresh_from_db()
    assert (ann.email, ann.email_bounced_at, ann.email_bounce_reason) == ("new@customer.example.com", None, "")


def test_an_import_with_a_new_address_clears_the_mark_and_the_same_address_keeps_it():
    ann, bob = mark(ClientFactory(external_ref="A")), mark(ClientFactory(external_ref="B"))
    text = f"external_ref,name,email\nA,{ann.name},fixed@customer.example.com\nB,{bob.name},{bob.email}\n"
    assert clients_import_csv(data=text.encode(), filename="c.csv").error_count == 0
    ann.refresh_from_db()
    bob.refresh_from_db()
    assert ann.email_bounced_at is None and bob.email_bounced_at is not None


def test_the_admin_action_clears_marks_and_the_list_filter_finds_them(admin_web):
    ann = mark(ClientFactory())
    ClientFactory()
    changelist = reverse("admin:clients_client_changelist")
    filtered = admin_web.get(changelist, {"unreachable": "any"})
    assert [c.pk for c in filtered.context["cl"].result_list] == [ann.pk]
    assert "email (bounced)" in filtered.text
    admin_web.post(changelist, {"action": "clear_unreachable_marks", ACTION_CHECKBOX_NAME: [ann.pk]})
    ann.refresh_from_db()
    assert ann.email_bounced_at is None and ann.email_bounce_reason == ""
    assert audience_counts({}, ["email"]).per_channel["email"].eligible == 2

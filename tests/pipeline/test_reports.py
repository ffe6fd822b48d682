"""The state machine: reports move a message forward only; finals never move; duplicates change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from notifications.models import DeliveryReport, Message
from notifications.providers.base import StatusReport
from notifications.services.reports import report_state, reports_record
from tests.pipeline.factories import MessageFactory

pytestmark = pytest.mark.django_db
DONE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _report(message, group, name="", error=""):
    return StatusReport(
        message_id=message.message_id, status_group=group, status_name=name, error_name=error, done_at=DONE
    )


def _state(message):
    message.refresh_from_db()
    return message.state


@pytest.mark.parametrize(
    ("group", "name", "state"),
    [
        ("DELIVERED", "DELIVERED_TO_HANDSET", "delivered"),
        ("DELIVERED", "DELIVERED_TO_OPERATOR", "accepted"),
        ("UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED", "undeliverable"),
        ("EXPIRED", "EXPIRED_EXPIRED", "expired"),
        ("REJECTED", "REJECTED_DESTINATION", "rejected"),
        ("PENDING", "PENDING_ENROUTE", "accepted"),
        ("NONSENSE", "", None),
    ],
)
def test_status_groups_map_to_states(group, name, state):
    """Infobip's groups map to our states; DELIVERED_TO_OPERATOR is not final."""
    assert report_state(StatusReport(message_id="x", status_group=group, status_name=name)) == state


def test_a_final_state_never_moves():
    """Once delivered, a later undeliverable or pending report is stored but not applied."""
    message = MessageFactory(state=Message.State.ACCEPTED)
    reports_record(reports=[_report(message, "DELIVERED", "DELIVERED_TO_HANDSET")])
    assert _state(message) == "delivered"
    later = [_report(message, "UNDELIVERABLE", "UNDELIVERABLE_REJECTED_OPERATOR"), _report(message, "PENDING", "P")]
    outcome = reports_record(reports=later)
    assert outcome.applied == 0 and _state(message) == "delivered"
    assert DeliveryReport.objects.filter(message=message).count() == 3


@pytest.mark.parametrize("final", ["failed", "skipped", "cancelled", "rejected", "expired"])
def test_reports_never_touch_other_final_states(final):
    """Failed, skipped, cancelled and other final rows ignore any report."""
    message = MessageFactory(state=final)
    reports_record(reports=[_report(message, "DELIVERED", "DELIVERED_TO_HANDSET")])
    assert _state(message) == final


def test_out_of_order_reports_end_in_the_final_state():
    """A delivered report followed by an older pending one leaves the message delivered, whatever the order."""
    first, second = MessageFactory(state="sending"), MessageFactory(state="accepted")
    reports_record(
        reports=[_report(first, "PENDING", "PENDING_ENROUTE"), _report(first, "DELIVERED", "DELIVERED_TO_HANDSET")]
    )
    reports_record(reports=[_report(second, "DELIVERED", "DELIVERED_TO_HANDSET")])
    reports_record(reports=[_report(second, "PENDING", "PENDING_ENROUTE")])
    assert _state(first) == "delivered" and _state(second) == "delivered"


def test_operator_delivery_keeps_accepted_then_handset_delivers():
    """DELIVERED_TO_OPERATOR keeps the message accepted; the handset report then delivers it."""
    message = MessageFactory(state="accepted")
    reports_record(reports=[_report(message, "DELIVERED", "DELIVERED_TO_OPERATOR")])
    message.refresh_from_db()
    assert message.state == "accepted" and message.status_name == "DELIVERED_TO_OPERATOR"
    reports_record(reports=[_report(message, "DELIVERED", "DELIVERED_TO_HANDSET")])
    assert _state(message) == "delivered"


def test_duplicate_report_is_stored_once_and_changes_nothing():
    """The same report twice keeps one raw row and applies once."""
    message = MessageFactory(state="accepted")
    report = _report(message, "UNDELIVERABLE", "UNDELIVERABLE_NOT_DELIVERED", error="EC_ABSENT_SUBSCRIBER")
    assert reports_record(reports=[report]).applied == 1
    assert reports_record(reports=[report]).applied == 0
    message.refresh_from_db()
    assert message.state == "undeliverable" and message.error_code == "EC_ABSENT_SUBSCRIBER"
    assert message.done_at == DONE
    assert DeliveryReport.objects.count() == 1


def test_unknown_ids_are_kept_as_orphans():
    """A report for an id we never sent is stored as an orphan and changes no message."""
    message = MessageFactory(state="accepted")
    outcome = reports_record(
        reports=[
            StatusReport(message_id="op-99999999", status_group="DELIVERED"),
            StatusReport(message_id="someone-else", status_group="DELIVERED"),
        ]
    )
    assert outcome.orphans == 2 and outcome.applied == 0
    assert DeliveryReport.objects.filter(is_orphan=True, message__isnull=True).count() == 2
    assert _state(message) == "accepted"


def test_a_late_pending_report_never_winds_the_provider_status_back():
    """DELIVERED_TO_OPERATOR, then a replayed or late PENDING report: the message keeps the later status (found by
    hypothesis: a replayed body applied one change)."""
    message = MessageFactory(state=Message.State.ACCEPTED, status_name="PENDING_ACCEPTED")
    pending = _report(message, "PENDING", "PENDING_ENROUTE")
    assert reports_record(reports=[pending]).applied == 0  # same stage, nothing new
    assert reports_record(reports=[_report(message, "DELIVERED", "DELIVERED_TO_OPERATOR")]).applied == 1
    assert reports_record(reports=[pending]).applied == 0
    message.refresh_from_db()
    assert (message.state, message.status_name) == ("accepted", "DELIVERED_TO_OPERATOR")
    assert reports_record(reports=[_report(message, "DELIVERED", "DELIVERED_TO_HANDSET")]).applied == 1
    assert _state(message) == "delivered"

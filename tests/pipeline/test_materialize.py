"""Materialize: audience to message rows in set-based SQL, idempotent, with skip reasons and languages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Message, Send
from notifications.services.materialize import send_materialize
from notifications.services.sends import send_create, test_send_create
from tests.factories import ClientFactory, TestRecipientFactory
from tests.pipeline.factories import CONTENT, SendFactory

pytestmark = pytest.mark.django_db


def _rows(send):
    return {(m.client_id or m.test_recipient_id, m.channel): m for m in Message.objects.filter(send=send)}


def test_rows_for_eligible_and_skipped_clients_with_reasons():
    """Eligible clients become pending rows with address and language; the others skipped with their reason."""
    ok = ClientFactory(language="fr")
    german = ClientFactory(language="de")
    inactive = ClientFactory(is_active=False)
    no_phone = ClientFactory(phone="")
    opted_out = ClientFactory(email_consent=False)
    muted = ClientFactory(muted_kinds=["maintenance"])
    send = SendFactory(state=Send.State.QUEUED, notice_kind="maintenance")
    added = send_materialize(send_id=send.pk)
    rows = _rows(send)
    assert added == 12 == len(rows)
    assert rows[(ok.pk, "sms")].state == "pending" and rows[(ok.pk, "sms")].destination == ok.phone
    assert rows[(ok.pk, "email")].destination == ok.email and rows[(ok.pk, "email")].language == "fr"
    assert rows[(german.pk, "sms")].language == "en"
    assert rows[(inactive.pk, "sms")].skip_reason == "inactive" and rows[(inactive.pk, "sms")].state == "skipped"
    assert rows[(no_phone.pk, "sms")].skip_reason == "no_phone" and rows[(no_phone.pk, "email")].state == "pending"
    assert rows[(opted_out.pk, "email")].skip_reason == "opted_out" and rows[(opted_out.pk, "sms")].state == "pending"
    assert rows[(muted.pk, "email")].skip_reason == "muted_kind"
    send.refresh_from_db()
    assert send.state == Send.State.SENDING and send.materialized_at is not None


def test_mandatory_notices_ignore_muted_kinds():
    """A mandatory send reaches clients who muted its kind."""
    muted = ClientFactory(muted_kinds=["outage"])
    send = SendFactory(state=Send.State.QUEUED, notice_kind="outage", mandatory=True, channels=["sms"])
    send_materialize(send_id=send.pk)
    assert _rows(send)[(muted.pk, "sms")].state == "pending"


def test_second_run_adds_nothing():
    """Materializing twice leaves exactly one row per client and channel."""
    ClientFactory.create_batch(5)
    send = SendFactory(state=Send.State.QUEUED)
    assert send_materialize(send_id=send.pk) == 10
    Send.objects.filter(pk=send.pk).update(state=Send.State.QUEUED)
    assert send_materialize(send_id=send.pk) == 0
    assert Message.objects.filter(send=send).count() == 10


def test_one_insert_per_channel_whatever_the_audience_size():
    """The number of queries does not grow with the audience (no per-recipient loop)."""
    ClientFactory.create_batch(3)
    small = SendFactory(state=Send.State.QUEUED)
    with CaptureQueriesContext(connection) as few:
        send_materialize(send_id=small.pk)
    ClientFactory.create_batch(60)
    big = SendFactory(state=Send.State.QUEUED)
    with CaptureQueriesContext(connection) as many:
        send_materialize(send_id=big.pk)
    assert len(many) == len(few)
    assert sum("INSERT INTO" in q["sql"] for q in many.captured_queries) == 2


def test_audience_narrows_the_rows():
    """Only the clients the audience matches get rows."""
    north = ClientFactory(region="North")
    ClientFactory(region="South")
    send = SendFactory(
        state=Send.State.QUEUED,
        channels=["sms"],
        audience={"conditions": [{"field": "region", "op": "is", "value": "North"}]},
    )
    send_materialize(send_id=send.pk)
    assert list(Message.objects.filter(send=send).values_list("client_id", flat=True)) == [north.pk]


def test_test_send_reaches_only_the_chosen_internal_recipients(django_capture_on_commit_callbacks):
    """A test send creates rows for the chosen test recipients only, marked as a test, enqueued after commit."""
    ClientFactory.create_batch(3)
    chosen, inactive = TestRecipientFactory(language="fr"), TestRecipientFactory(is_active=False)
    TestRecipientFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        send = test_send_create(
            label="t",
            channels=["sms", "email"],
            content=CONTENT,
            fallback_language="en",
            variables={},
            test_recipient_ids=[chosen.pk, inactive.pk],
        )
    assert send.is_test and len(callbacks) == 1
    send_materialize(send_id=send.pk)
    rows = _rows(send)
    assert set(rows) == {(chosen.pk, "sms"), (chosen.pk, "email"), (inactive.pk, "sms"), (inactive.pk, "email")}
    assert all(m.client_id is None for m in rows.values())
    assert rows[(chosen.pk, "sms")].language == "fr" and rows[(inactive.pk, "sms")].skip_reason == "inactive"


def test_send_create_enqueues_only_after_commit(django_capture_on_commit_callbacks):
    """send_create freezes the send and enqueues materialize on commit; a scheduled send enqueues nothing."""
    from datetime import timedelta

    from django.utils import timezone

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        now_send = send_create(label="now", channels=["sms"], audience={}, content=CONTENT)
        later = send_create(
            label="later",
            channels=["sms"],
            audience={},
            content=CONTENT,
            scheduled_at=timezone.now() + timedelta(hours=1),
        )
    assert now_send.state == Send.State.QUEUED and later.state == Send.State.SCHEDULED
    assert len(callbacks) == 1

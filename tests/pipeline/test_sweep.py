"""The sweeper rings again only for work nobody is doing: a materialize in flight is never started a second time.

A send's materialize is "in flight" from the moment it is asked for (the doorbell is rung after commit) until it
moves the send to sending; while it runs it holds the send's row lock. The sweeper re-kicks a queued send only
when its materialize was asked for longer ago than the grace period and nobody holds that lock: a lost doorbell.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import Send
from notifications.services import materialize, sends, sweep
from notifications.services.doorbell import MATERIALIZE_TASK
from tests.factories import ClientFactory
from tests.pipeline.factories import CONTENT, SendFactory

pytestmark = pytest.mark.django_db


def _rung(callbacks) -> list[int]:
    """The send ids whose materialize the captured on-commit callbacks would ring."""
    with mock.patch("celery.current_app.send_task") as send_task:
        for callback in callbacks:
            callback()
    return [call.kwargs["args"][0] for call in send_task.call_args_list if call.args[0] == MATERIALIZE_TASK]


def _ago(seconds: float):
    return timezone.now() - timedelta(seconds=seconds)


def test_a_scheduled_send_started_by_the_sweeper_is_not_rematerialized_at_once(django_capture_on_commit_callbacks):
    """The bug: a send created long ago and started now was re-kicked by the next sweep (created_at was old)."""
    send = SendFactory(state=Send.State.SCHEDULED, scheduled_at=_ago(1), created_at=_ago(3600))
    with django_capture_on_commit_callbacks(execute=False) as first:
        outcome = sweep.sends_sweep()
    assert outcome.started == [send.pk] and _rung(first) == [send.pk]
    with django_capture_on_commit_callbacks(execute=False) as second:
        again = sweep.sends_sweep()
    assert again.rematerialized == [] and _rung(second) == []


def test_a_materialize_asked_for_within_the_grace_is_left_alone(django_capture_on_commit_callbacks):
    """Queued a moment ago (its task may wait behind others on a busy worker): no second doorbell."""
    with django_capture_on_commit_callbacks(execute=False):
        send = sends.send_create(label="now", channels=["sms"], audience={}, content=CONTENT)
    Send.objects.filter(pk=send.pk).update(created_at=_ago(3600))  # its age says nothing of its doorbell
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sweep.sends_sweep().rematerialized == []
    assert _rung(callbacks) == []


def test_a_lost_materialize_is_rung_again_once_per_grace_period(django_capture_on_commit_callbacks):
    """Asked for longer ago than the grace and not running: rung again, and not at every sweep after that."""
    lost = SendFactory(state=Send.State.QUEUED, materialize_requested_at=_ago(sweep.MATERIALIZE_GRACE_SECONDS + 1))
    never_asked = SendFactory(state=Send.State.QUEUED, created_at=_ago(sweep.MATERIALIZE_GRACE_SECONDS + 1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sorted(sweep.sends_sweep().rematerialized) == sorted([lost.pk, never_asked.pk])
    assert sorted(_rung(callbacks)) == sorted([lost.pk, never_asked.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sweep.sends_sweep().rematerialized == []
    assert _rung(callbacks) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_running_materialize_is_not_rung_again_however_long_it_takes():
    """A materialize that holds the send's row lock past the grace period (a big audience, a slow machine) is in
    flight: the sweeper skips it; once it is done the send is sending and nothing is re-kicked."""
    ClientFactory.create_batch(3)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"], materialize_requested_at=_ago(3600))
    inserting, release = threading.Event(), threading.Event()
    real_insert = materialize._insert

    def slow_insert(*args, **kwargs):
        inserting.set()
        assert release.wait(timeout=30)
        return real_insert(*args, **kwargs)

    def run() -> None:
        try:
            materialize.send_materialize(send_id=send.pk)
        finally:
            connection.close()

    with mock.patch.object(materialize, "_insert", slow_insert), mock.patch("celery.current_app.send_task") as rang:
        worker = threading.Thread(target=run)
        worker.start()
        assert inserting.wait(timeout=30)
        outcome = sweep.sends_sweep()  # outside any transaction: its doorbells would ring at once
        release.set()
        worker.join(timeout=30)
        after = sweep.sends_sweep()
    assert outcome.rematerialized == [] and after.rematerialized == []
    assert [call for call in rang.call_args_list if call.args[0] == MATERIALIZE_TASK] == []
    send.refresh_from_db()
    assert send.state == Send.State.SENDING and send.messages.count() == 3


def test_a_late_second_materialize_of_a_sending_send_does_nothing():
    """A duplicate doorbell that arrives after the send started adds no rows, even if the audience grew since."""
    ClientFactory.create_batch(2)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"])
    assert materialize.send_materialize(send_id=send.pk) == 2
    ClientFactory.create_batch(3)
    assert materialize.send_materialize(send_id=send.pk) == 0
    assert send.messages.count() == 2

"""The doorbells services ring: Celery messages sent by registered name, only after commit."""

from __future__ import annotations

from unittest import mock

import pytest
from celery import current_app

from notifications import tasks
from notifications.models import Send
from notifications.services.doorbell import DISPATCH_TASK, MATERIALIZE_TASK, dispatch_kick, materialize_kick
from notifications.services.sends import send_create
from tests.pipeline.factories import CONTENT

pytestmark = pytest.mark.django_db


def test_the_names_rung_are_the_registered_tasks():
    """The names services send are the names the tasks register under."""
    assert tasks.materialize_task.name == MATERIALIZE_TASK and tasks.dispatch_task.name == DISPATCH_TASK
    assert {MATERIALIZE_TASK, DISPATCH_TASK} <= set(current_app.tasks)


def test_nothing_is_sent_before_commit_and_everything_after(django_capture_on_commit_callbacks, settings):
    """A ring is one on-commit callback; run, it sends the materialize task and N dispatch tasks per channel."""
    settings.DISPATCH_PARALLELISM = 2
    with mock.patch.object(current_app, "send_task") as send_task:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            materialize_kick(send_id=7)
            dispatch_kick(send_id=7, channels=["sms", "email"])
        assert len(callbacks) == 2 and send_task.call_count == 0
        for callback in callbacks:
            callback()
    assert [call.args + (call.kwargs["args"],) for call in send_task.call_args_list] == [
        (MATERIALIZE_TASK, (7,)),
        (DISPATCH_TASK, (7, "sms")),
        (DISPATCH_TASK, (7, "sms")),
        (DISPATCH_TASK, (7, "email")),
        (DISPATCH_TASK, (7, "email")),
    ]


def test_a_rolled_back_transaction_rings_nothing(django_capture_on_commit_callbacks):
    """No commit, no doorbell: a send created in a transaction that fails is never looked for."""
    with mock.patch.object(current_app, "send_task") as send_task:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            try:
                from django.db import transaction

                with transaction.atomic():
                    send_create(label="gone", channels=["sms"], audience={}, content=CONTENT)
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
    assert callbacks == [] and send_task.call_count == 0


@pytest.fixture
def eager():
    """The setting as Celery reads it from Django's settings (namespace ``CELERY_``)."""
    before = current_app.conf.task_always_eager
    current_app.conf.CELERY_TASK_ALWAYS_EAGER = True
    yield
    current_app.conf.CELERY_TASK_ALWAYS_EAGER = before


def test_eager_mode_runs_the_tasks_inline(django_capture_on_commit_callbacks, eager):
    """With ``CELERY_TASK_ALWAYS_EAGER`` (experiments), a send with nobody to reach materializes and completes."""
    with mock.patch.object(current_app, "send_task") as send_task:
        with django_capture_on_commit_callbacks(execute=True):
            send = send_create(label="eager", channels=["sms"], audience={"clients": []}, content=CONTENT)
    assert send_task.call_count == 0
    send.refresh_from_db()
    assert send.materialized_at is not None and send.state == Send.State.COMPLETED

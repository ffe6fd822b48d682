"""With a real Celery worker (embedded beat) and the Infobip sandbox: a scheduled notice whose audience grew past
the threshold waits for approval when its time comes (and the approvers get an email from the worker), then goes
to everyone once approved; a paused repeating notice starts no reminder until it is resumed."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from campaigns.models import Campaign, CampaignSend, Incident
from campaigns.services import approval, door, lifecycle
from notifications.models import Message, Send
from tests.factories import BucketFactory, ClientFactory, UserFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]

CONTENT = {"en": {"sms": {"text": "{{ incident_title }}: we are on it."}}}
DEADLINE = 90


def wait_for(check, what: str, worker, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not seen in {timeout}s\n{worker.log_tail()}")
        time.sleep(0.5)


def delivered(campaign: Campaign, role: str = "main") -> int:
    return Message.objects.filter(
        send__campaign_link__campaign=campaign, send__campaign_link__role=role, state=Message.State.DELIVERED
    ).count()


@pytest.fixture
def people(transactional_db):
    ops = UserFactory(username="olivia", email="olivia@staff.example.com", groups=["Ops"])
    anna = UserFactory(username="anna", email="anna@staff.example.com", groups=["Approvers"])
    return ops, anna


def draft_for(ops, bucket, **fields) -> Campaign:
    return Campaign.objects.create(
        incident=Incident.objects.create(title="Fibre cut"),
        title="Fibre cut",
        channels=["sms"],
        audience={"buckets": [bucket.pk]},
        content=CONTENT,
        variables={"incident_title": "Fibre cut"},
        created_by=ops,
        wizard_step="send",
        **fields,
    )


def test_scheduled_notice_that_grew_waits_for_approval_then_reaches_everyone(
    celery_worker_factory, infobip_sandbox, people, settings, tmp_path: Path
):
    ops, anna = people
    settings.APPROVAL_THRESHOLD = 3
    bucket = BucketFactory(name="Lyon north")
    bucket.clients.add(*ClientFactory.create_batch(2))
    campaign = draft_for(ops, bucket, send_mode="at", send_at=timezone.now() + timedelta(seconds=3))
    door.campaign_confirm(campaign=campaign, actor=ops)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SCHEDULED and campaign.audience_size == 2
    bucket.clients.add(*ClientFactory.create_batch(3))  # the bucket grows before the notice's time
    mail_dir = tmp_path / "mail"
    worker = celery_worker_factory(
        APPROVAL_THRESHOLD="3",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
    )

    def waiting() -> bool:
        campaign.refresh_from_db()
        return campaign.state == Campaign.State.AWAITING_APPROVAL

    wait_for(waiting, "the notice waiting for approval at its scheduled time", worker)
    assert campaign.audience_size == 5
    assert not Send.objects.filter(is_test=False).exists() and not Message.objects.exists()
    mails = wait_for(lambda: list(mail_dir.glob("*.log")), "the approvers' email", worker)
    text = "".join(path.read_text() for path in mails)
    assert "anna@staff.example.com" in text and "Approval needed: Fibre cut" in text
    assert "olivia@staff.example.com" not in text.split("Subject:")[0]
    time.sleep(3)  # a few more beat ticks: still nothing goes out without a person
    assert not Message.objects.exists()

    approval.campaign_approve(campaign=campaign, actor=anna)
    wait_for(lambda: delivered(campaign) == 5, "all 5 delivered after approval", worker)


def test_paused_repeating_notice_starts_no_reminder_until_resumed(celery_worker_process, infobip_sandbox, people):
    ops, _ = people
    worker = celery_worker_process
    bucket = BucketFactory(name="Pilot")
    bucket.clients.add(*ClientFactory.create_batch(2))
    campaign = draft_for(
        ops,
        bucket,
        send_mode="repeat",
        repeat_every_hours=1,
        repeat_until=timezone.now() + timedelta(hours=5),
    )
    door.campaign_confirm(campaign=campaign, actor=ops)
    wait_for(lambda: delivered(campaign) == 2, "the first notice delivered", worker)
    lifecycle.campaign_pause(campaign=campaign, actor=ops)
    Campaign.objects.filter(pk=campaign.pk).update(next_run_at=timezone.now() - timedelta(seconds=1))
    time.sleep(8)  # four beat ticks (DISPATCH_SWEEP_SECONDS=2 in the worker): a reminder is due but held
    assert not CampaignSend.objects.filter(campaign=campaign, role=CampaignSend.Role.REMINDER).exists()
    lifecycle.campaign_resume(campaign=campaign, actor=ops)
    wait_for(lambda: delivered(campaign, "reminder") == 2, "the reminder delivered after resume", worker)
    campaign.refresh_from_db()
    assert campaign.next_run_at is not None and campaign.next_run_at > timezone.now()

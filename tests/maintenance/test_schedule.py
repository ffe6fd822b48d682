"""Planned maintenance, without a worker: confirming a maintenance notice schedules its reminders and its started
and completed notices; each goes to exactly the notice's recipients when it starts; cancelling the maintenance cancels
what is still to come; Start now, Complete now and Extend move the window and the public page follows."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import Campaign, Incident, PublicState
from campaigns.selectors.maintenance import maintenance_notices
from campaigns.selectors.state import campaign_main_send, notice_actions
from campaigns.services import door, lifecycle, maintenance_window
from campaigns.services.lifecycle import CampaignActionNotAllowed
from campaigns.services.schedule import campaigns_start_due
from clients.models import Client
from notifications.models import Message, Send
from notifications.services.materialize import send_materialize
from tests.factories import ClientFactory
from tests.maintenance.conftest import maintenance_draft

pytestmark = pytest.mark.django_db
S = Campaign.State


def _materialize(campaign: Campaign) -> Send:
    send = campaign_main_send(campaign)
    assert send is not None
    send_materialize(send_id=send.pk)
    send.refresh_from_db()
    return send


def _receivers(campaign: Campaign) -> set[int]:
    send = campaign_main_send(campaign)
    assert send is not None
    rows = Message.objects.filter(send=send).exclude(state__in=(Message.State.SKIPPED, Message.State.CANCELLED))
    return set(rows.values_list("client_id", flat=True))


def test_confirming_schedules_each_reminder_then_started_and_completed(ops):
    ClientFactory.create_batch(2)
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    start, end = campaign.incident.started_at, campaign.incident.expected_resolution_at
    plan = [(n.maintenance_step, n.send_at, n.state, n.kind, n.parent_id) for n in maintenance_notices(campaign)]
    assert plan == [
        ("reminder", start - timedelta(hours=24), S.SCHEDULED, "maintenance", campaign.pk),
        ("reminder", start - timedelta(hours=1), S.SCHEDULED, "maintenance", campaign.pk),
        ("started", start, S.SCHEDULED, "update", campaign.pk),
        ("completed", end, S.SCHEDULED, "resolved", campaign.pk),
    ]
    assert campaign.events.filter(action="maintenance_scheduled").count() == 1


def test_an_outage_schedules_nothing(ops):
    ClientFactory()
    draft = maintenance_draft(ops)
    Campaign.objects.filter(pk=draft.pk).update(kind="outage")
    draft.refresh_from_db()
    assert not maintenance_notices(door.campaign_confirm(campaign=draft, actor=ops)).exists()


def test_each_goes_to_exactly_the_notice_recipients_at_its_time(ops):
    """A client who joined later gets nothing; one who opted out since is left out; nothing starts early."""
    first, opted_out = ClientFactory(), ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    _materialize(campaign)
    latecomer = ClientFactory()
    Client.objects.filter(pk=opted_out.pk).update(sms_consent=False)
    start = campaign.incident.started_at
    assert campaigns_start_due(now=start - timedelta(hours=24, minutes=1)) == 0
    assert campaigns_start_due(now=start - timedelta(hours=24) + timedelta(seconds=1)) == 1
    reminder = maintenance_notices(campaign).get(state=S.SENDING)
    assert reminder.audience == {"clients": sorted([first.pk, opted_out.pk])}
    _materialize(reminder)
    assert _receivers(reminder) == {first.pk}
    assert latecomer.pk not in set(
        Message.objects.filter(send=campaign_main_send(reminder)).values_list("client_id", flat=True)
    )


def test_a_notice_waits_while_the_recipients_are_not_known_yet(ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    # The maintenance notice's own send has not made its message rows yet: nothing of its schedule may start.
    assert campaigns_start_due(now=campaign.incident.expected_resolution_at + timedelta(minutes=1)) == 0
    assert not maintenance_notices(campaign).exclude(state=S.SCHEDULED).exists()


def test_cancelling_the_maintenance_cancels_everything_still_to_come(ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    _materialize(campaign)
    Send.objects.filter(pk=campaign_main_send(campaign).pk).update(state=Send.State.COMPLETED)
    assert notice_actions(campaign).cancel, "a sent maintenance with notices to come can be cancelled"
    lifecycle.campaign_cancel(campaign=campaign, actor=ops)
    assert set(maintenance_notices(campaign).values_list("state", flat=True)) == {S.CANCELLED}
    assert campaigns_start_due(now=timezone.now() + timedelta(days=3)) == 0


def test_one_notice_of_the_schedule_can_be_cancelled_alone(ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    first = maintenance_notices(campaign).first()
    lifecycle.campaign_cancel(campaign=first, actor=ops)
    states = list(maintenance_notices(campaign).values_list("state", flat=True))
    assert states == [S.CANCELLED, S.SCHEDULED, S.SCHEDULED, S.SCHEDULED]


def test_a_scheduled_maintenance_taken_back_drops_its_schedule_and_makes_it_again(ops):
    ClientFactory()
    draft = maintenance_draft(ops)
    Campaign.objects.filter(pk=draft.pk).update(send_mode="at", send_at=timezone.now() + timedelta(hours=2))
    draft.refresh_from_db()
    campaign = door.campaign_confirm(campaign=draft, actor=ops)
    assert campaign.state == S.SCHEDULED and maintenance_notices(campaign).count() == 4
    campaign = lifecycle.campaign_reopen(campaign=campaign, actor=ops)
    assert not maintenance_notices(campaign).exists()
    assert set(Campaign.objects.filter(parent=campaign).values_list("state", flat=True)) == {S.DISCARDED}
    campaign = door.campaign_confirm(campaign=campaign, actor=ops)
    assert [n.state for n in maintenance_notices(campaign)] == [S.SCHEDULED] * 4


def test_a_notice_of_the_schedule_can_be_changed_and_confirmed_again(ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    completed = maintenance_notices(campaign).last()
    completed = lifecycle.campaign_reopen(campaign=completed, actor=ops)
    assert completed.state == S.DRAFT
    completed = door.campaign_confirm(campaign=completed, actor=ops)
    assert completed.state == S.SCHEDULED and maintenance_notices(campaign).count() == 4
    assert not maintenance_notices(completed).exists(), "a notice of the schedule schedules nothing itself"


def test_start_now_cancels_the_reminders_and_sends_started(ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    _materialize(campaign)
    maintenance_window.maintenance_start_now(campaign=campaign, actor=ops)
    steps = dict(maintenance_notices(campaign).values_list("maintenance_step", "state").order_by("send_at"))
    assert set(maintenance_notices(campaign).filter(maintenance_step="reminder").values_list("state", flat=True)) == {
        S.CANCELLED
    }
    assert steps["started"] == S.SENDING and steps["completed"] == S.SCHEDULED
    incident = Incident.objects.get(pk=campaign.incident_id)
    assert incident.started_at <= timezone.now() and incident.public_state == PublicState.IN_PROGRESS


def test_complete_now_sends_completed_and_resolves(ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    _materialize(campaign)
    maintenance_window.maintenance_complete_now(campaign=campaign, actor=ops)
    states = dict(maintenance_notices(campaign).values_list("maintenance_step", "state"))
    assert states == {"reminder": S.CANCELLED, "started": S.CANCELLED, "completed": S.SENDING}
    incident = Incident.objects.get(pk=campaign.incident_id)
    assert incident.status == Incident.Status.RESOLVED and incident.public_state == PublicState.COMPLETED


def test_extend_moves_completed_and_refuses_an_earlier_end(ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    end = campaign.incident.expected_resolution_at + timedelta(hours=3)
    maintenance_window.maintenance_extend(campaign=campaign, end=end, actor=ops)
    assert maintenance_notices(campaign).get(maintenance_step="completed").send_at == end
    assert Incident.objects.get(pk=campaign.incident_id).expected_resolution_at == end
    with pytest.raises(CampaignActionNotAllowed):
        maintenance_window.maintenance_extend(campaign=campaign, end=end - timedelta(hours=1), actor=ops)


def test_a_viewer_cannot_move_the_window(ops):
    from campaigns.services.rules import NotAllowed
    from tests.factories import UserFactory

    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    viewer = UserFactory(username="vera", groups=["Viewers"])
    with pytest.raises(NotAllowed):
        maintenance_window.maintenance_start_now(campaign=campaign, actor=viewer)


def test_the_public_page_follows_the_window(ops):
    """Scheduled when announced, nothing new for a reminder, in progress at the start, completed at the end."""
    from campaigns.models import PublicUpdate

    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    _materialize(campaign)
    start, end = campaign.incident.started_at, campaign.incident.expected_resolution_at
    assert campaigns_start_due(now=start - timedelta(minutes=30)) == 2  # both reminders
    assert campaigns_start_due(now=start + timedelta(seconds=1)) == 1
    assert campaigns_start_due(now=end + timedelta(seconds=1)) == 1
    states = list(PublicUpdate.objects.filter(incident=campaign.incident).values_list("state", flat=True))
    assert states == [PublicState.SCHEDULED, PublicState.IN_PROGRESS, PublicState.COMPLETED]
    assert Incident.objects.get(pk=campaign.incident_id).status == Incident.Status.RESOLVED


def test_a_paused_maintenance_holds_its_schedule_until_resumed(ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    _materialize(campaign)
    lifecycle.campaign_pause(campaign=campaign, actor=ops)
    due = campaign.incident.started_at - timedelta(hours=23)
    assert campaigns_start_due(now=due) == 0
    lifecycle.campaign_resume(campaign=campaign, actor=ops)
    assert campaigns_start_due(now=due) == 1


def test_a_duplicate_keeps_the_reminders_and_is_scheduled_when_confirmed(ops):
    from campaigns.services.copies import campaign_duplicate

    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    campaign = Campaign.objects.get(pk=campaign.pk)  # its incident is open now: the copy belongs to it
    copy = campaign_duplicate(campaign=campaign, actor=ops)
    assert copy.reminder_offsets == [1440, 60] and not maintenance_notices(copy).exists()
    copy = door.campaign_confirm(campaign=copy, actor=ops)
    assert [n.maintenance_step for n in maintenance_notices(copy)] == ["reminder", "reminder", "started", "completed"]

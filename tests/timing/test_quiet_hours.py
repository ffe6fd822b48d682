"""Quiet hours (``QUIET_HOURS``): the window arithmetic across zones, midnight and DST, and what materialize, the
claim, validity and the notice page make of it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Campaign, CampaignSend
from notifications.models import Message, Send
from notifications.selectors import quiet_waiting
from notifications.services.claim import messages_claim
from notifications.services.materialize import send_materialize
from notifications.services.quiet import Window, parse_window, quiet_until, sends_hold_quiet, zone_of
from notifications.services.validity import messages_expire
from tests.factories import ClientFactory
from tests.pipeline.factories import SendFactory
from tests.timing.quiet import window_around_tokyo_now
from tests.wizard.factories import CampaignFactory

S = Message.State
TOKYO, SAO_PAULO, PARIS = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Sao_Paulo"), ZoneInfo("Europe/Paris")
NIGHT = Window(start=datetime.strptime("21:00", "%H:%M").time(), end=datetime.strptime("08:00", "%H:%M").time())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# --- the window arithmetic (no database) ---


def test_parse_window():
    assert parse_window("21:00-08:00") == NIGHT
    assert parse_window(" 9:30 - 12:00 ") == Window(datetime(1, 1, 1, 9, 30).time(), datetime(1, 1, 1, 12).time())
    assert parse_window("") is None and parse_window("08:00-08:00") is None
    for bad in ("21-08", "25:00-08:00", "21:00", "night"):
        with pytest.raises(ValueError):
            parse_window(bad)


def test_across_midnight_evening_part_ends_tomorrow_morning_part_today():
    # 22:30 in Paris (winter, UTC+1): quiet until 08:00 the next morning, Paris time.
    assert quiet_until(at("2026-01-15T21:30"), PARIS, NIGHT) == at("2026-01-16T07:00")
    # 03:00 in Paris: quiet until 08:00 the same day.
    assert quiet_until(at("2026-01-16T02:00"), PARIS, NIGHT) == at("2026-01-16T07:00")
    # The start is inside, the end is not; midday is outside.
    assert quiet_until(at("2026-01-15T20:00"), PARIS, NIGHT) == at("2026-01-16T07:00")
    assert quiet_until(at("2026-01-16T07:00"), PARIS, NIGHT) is None
    assert quiet_until(at("2026-01-16T11:00"), PARIS, NIGHT) is None


def test_a_window_within_one_day():
    lunch = parse_window("12:00-14:00")
    assert lunch is not None
    assert quiet_until(at("2026-01-15T12:30"), ZoneInfo("UTC"), lunch) == at("2026-01-15T14:00")
    assert quiet_until(at("2026-01-15T14:00"), ZoneInfo("UTC"), lunch) is None
    assert quiet_until(at("2026-01-15T23:00"), ZoneInfo("UTC"), lunch) is None


def test_one_instant_is_quiet_in_one_zone_and_not_in_another():
    now = at("2026-06-01T14:00")  # 23:00 in Tokyo, 11:00 in São Paulo, 16:00 in Paris
    assert quiet_until(now, TOKYO, NIGHT) == at("2026-06-01T23:00")  # 08:00 on 2 June in Tokyo
    assert quiet_until(now, SAO_PAULO, NIGHT) is None
    assert quiet_until(now, PARIS, NIGHT) is None
    # Across the date line: 01:00 UTC is 22:00 the day before in São Paulo.
    assert quiet_until(at("2026-06-02T01:00"), SAO_PAULO, NIGHT) == at("2026-06-02T11:00")


def test_the_end_follows_a_dst_change_during_the_night():
    # Paris falls back on 25 October 2026 at 03:00 CEST: the night started at UTC+2 ends at 08:00 UTC+1.
    assert quiet_until(at("2026-10-24T23:00"), PARIS, NIGHT) == at("2026-10-25T07:00")
    # …and springs forward on 29 March 2026: 08:00 that morning is UTC+2.
    assert quiet_until(at("2026-03-28T23:00"), PARIS, NIGHT) == at("2026-03-29T06:00")


def test_unknown_or_empty_zone_falls_back_to_the_default(settings):
    settings.CLIENT_DEFAULT_TIME_ZONE = "Asia/Tokyo"
    assert zone_of("") == TOKYO and zone_of("Mars/Olympus") == TOKYO and zone_of("Europe/Paris") == PARIS


def test_a_bad_setting_stops_the_start():
    env = {**os.environ, "QUIET_HOURS": "from nine to eight"}
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'outage_portal.settings'); django.setup()"
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode != 0 and "QUIET_HOURS" in run.stderr


# --- materialize, claim, validity, the notice page ---


@pytest.fixture
def quiet(settings):
    settings.QUIET_HOURS = window_around_tokyo_now()
    settings.QUIET_HOURS_KINDS = ["maintenance"]
    settings.CLIENT_DEFAULT_TIME_ZONE = "America/Sao_Paulo"


def _people():
    tokyo = ClientFactory(time_zone="Asia/Tokyo", uses_email_service=False)
    sao_paulo = ClientFactory(time_zone="America/Sao_Paulo", uses_email_service=False)
    default = ClientFactory(time_zone="", uses_email_service=False)  # CLIENT_DEFAULT_TIME_ZONE: São Paulo
    return tokyo, sao_paulo, default


@pytest.mark.django_db
def test_materialize_holds_back_exactly_the_recipients_inside_quiet_hours(quiet):
    tokyo, sao_paulo, default = _people()
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"], notice_kind="maintenance")
    before = timezone.now()
    send_materialize(send_id=send.pk)
    held = Message.objects.get(send=send, client=tokyo)
    assert held.state == S.PENDING and held.next_attempt_at is not None
    assert timedelta(minutes=55) < held.next_attempt_at - before <= timedelta(hours=1)  # the window's end
    for client in (sao_paulo, default):
        assert Message.objects.get(send=send, client=client).next_attempt_at is None
    # The claim takes only the others; the held row is neither claimed nor lost.
    claim = messages_claim(send_id=send.pk, channel="sms", limit=10, lease_seconds=30)
    assert {row.recipient.client_id for row in claim.rows} == {sao_paulo.pk, default.pk}
    assert Message.objects.get(pk=held.pk).state == S.PENDING
    wait = quiet_waiting(send)
    assert wait.count == 1 and wait.last == held.next_attempt_at
    # Once the window ended, the row is claimable like any other, once.
    Message.objects.filter(pk=held.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    again = messages_claim(send_id=send.pk, channel="sms", limit=10, lease_seconds=30)
    assert [row.id for row in again.rows] == [held.pk]
    assert quiet_waiting(send).count == 0


@pytest.mark.django_db
@pytest.mark.parametrize("kind, mandatory", [("outage", False), ("update", False), ("maintenance", True)])
def test_urgent_and_mandatory_notices_go_at_once(quiet, kind, mandatory):
    tokyo, _sao_paulo, _default = _people()
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"], notice_kind=kind, mandatory=mandatory)
    send_materialize(send_id=send.pk)
    assert Message.objects.get(send=send, client=tokyo).next_attempt_at is None


@pytest.mark.django_db
def test_no_window_configured_holds_nothing(settings):
    settings.QUIET_HOURS = ""
    tokyo, _sao_paulo, _default = _people()
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"], notice_kind="maintenance")
    send_materialize(send_id=send.pk)
    assert not Message.objects.filter(send=send, next_attempt_at__isnull=False).exists()


@pytest.mark.django_db
def test_validity_still_applies_to_held_messages(quiet):
    tokyo, _sao_paulo, _default = _people()
    send = SendFactory(
        state=Send.State.QUEUED,
        channels=["sms"],
        notice_kind="maintenance",
        valid_until=timezone.now() + timedelta(minutes=10),
    )
    send_materialize(send_id=send.pk)
    assert Message.objects.get(send=send, client=tokyo).next_attempt_at > send.valid_until
    messages_expire(send_id=send.pk, now=send.valid_until)
    assert Message.objects.get(send=send, client=tokyo).state == S.EXPIRED


@pytest.mark.django_db
def test_the_notice_page_says_how_many_wait_and_until_when(quiet, admin_client):
    _people()
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"], notice_kind="maintenance")
    send_materialize(send_id=send.pk)
    campaign = CampaignFactory(kind="maintenance", state=Campaign.State.SENDING)
    CampaignSend.objects.create(campaign=campaign, send=send, role=CampaignSend.Role.MAIN)
    page = admin_client.get(reverse("campaigns:detail", args=[campaign.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and 'id="quiet-wait"' in text
    assert "1 message waits for quiet hours to end (until" in text


def _window_starting_in(zone: ZoneInfo, delay: timedelta) -> str:
    start = timezone.now().astimezone(zone) + delay
    return f"{start:%H:%M}-{(start + timedelta(hours=2)):%H:%M}"


@pytest.mark.django_db
def test_the_sweep_holds_rows_whose_window_opens_while_the_send_is_still_going(settings):
    """A send that started outside quiet hours (a big or paced one, a retry, a resumed pause) still stops for the
    window: the sweep holds the rows the claim could take before it opens (two sweeps and a lease ahead)."""
    settings.QUIET_HOURS_KINDS = ["maintenance"]
    settings.QUIET_HOURS = ""
    client = ClientFactory(time_zone="Asia/Tokyo", uses_email_service=False)
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"], notice_kind="maintenance")
    send_materialize(send_id=send.pk)
    row = Message.objects.get(send=send, client=client)
    assert row.next_attempt_at is None
    settings.QUIET_HOURS = _window_starting_in(TOKYO, timedelta(minutes=20))  # far off: nothing yet
    assert sends_hold_quiet() == 0
    settings.QUIET_HOURS = _window_starting_in(TOKYO, timedelta(seconds=70))  # within the horizon: held now
    assert sends_hold_quiet() == 1
    row.refresh_from_db()
    assert row.state == S.PENDING and row.next_attempt_at > timezone.now() + timedelta(hours=1, minutes=50)
    assert not messages_claim(send_id=send.pk, channel="sms", limit=10, lease_seconds=30).rows
    assert sends_hold_quiet() == 0, "held once, not again"
    # A retry time inside the window is moved to its end too.
    Message.objects.filter(pk=row.pk).update(attempts=1, next_attempt_at=timezone.now() + timedelta(seconds=30))
    assert sends_hold_quiet() == 1
    # Mandatory notices are never held.
    Send.objects.filter(pk=send.pk).update(mandatory=True)
    Message.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert sends_hold_quiet() == 0


@pytest.mark.django_db
def test_a_paced_batch_given_back_is_not_counted_as_waiting_for_quiet_hours(quiet):
    """A paced outage notice's batch given back untried waits for its slot, not for quiet hours."""
    _people()
    send = SendFactory(state=Send.State.QUEUED, channels=["sms"], notice_kind="outage", pace_per_minute=2)
    send_materialize(send_id=send.pk)
    Message.objects.filter(send=send).update(next_attempt_at=timezone.now() + timedelta(minutes=1))
    assert quiet_waiting(send).count == 0

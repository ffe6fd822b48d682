"""The maintenance parts of the outage form: the window needs an end after its start (Incident step); the reminders
(When step) start from sensible defaults, are hours before the start, each after the notice goes out, and junk is
refused beside the field, never a 500."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.forms.incident import IncidentForm
from campaigns.forms.maintenance import hours_text, parse_hours
from campaigns.forms.schedule import WhenForm
from campaigns.models import Campaign
from tests.maintenance.conftest import maintenance_draft

pytestmark = pytest.mark.django_db
FMT = "%Y-%m-%dT%H:%M"


def _when(campaign: Campaign, **data) -> WhenForm:
    return WhenForm({"send_mode": "now", **data}, kind="maintenance", incident=campaign.incident)


def test_hours_are_read_into_minutes_and_written_back():
    assert parse_hours("24, 1") == [1440, 60]
    assert parse_hours("0.5;2 2") == [120, 30]
    assert parse_hours("") == []
    assert hours_text([1440, 30]) == "24, 0.5"


@pytest.mark.parametrize("junk", ["abc", "-1", "0", "721", "1e9", "NaN", "inf", "0.001", "1,2,3,4,5,6"])
def test_junk_offsets_are_refused(junk):
    with pytest.raises(Exception) as caught:
        parse_hours(junk)
    assert caught.type.__name__ == "ValidationError"


def test_defaults_are_24_h_and_1_h_when_both_are_still_ahead(ops):
    fresh = maintenance_draft(ops, offsets=())
    fresh.wizard_step = "when"
    assert WhenForm.initial_for(fresh)["reminder_hours"] == "24, 1"
    soon = maintenance_draft(ops, start_in=timedelta(hours=5), offsets=())
    soon.wizard_step = "when"
    assert WhenForm.initial_for(soon)["reminder_hours"] == "1", "24 h before would already be past"
    soon.wizard_step = "preview"
    assert WhenForm.initial_for(soon)["reminder_hours"] == "", "none chosen stays none"


def test_offsets_must_fall_after_the_notice_goes_out(ops):
    campaign = maintenance_draft(ops, start_in=timedelta(hours=5))
    form = _when(campaign, reminder_hours="24, 1")
    assert not form.is_valid()
    assert "before this notice goes out" in form.errors["reminder_hours"][0]
    later = (timezone.localtime() + timedelta(hours=4, minutes=30)).strftime(FMT)
    form = _when(campaign, send_mode="at", send_at=later, reminder_hours="1")
    assert not form.is_valid(), "sent at start - 30 min, a reminder an hour before cannot go"
    form = _when(campaign, reminder_hours="1, 0.5")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["reminder_offsets"] == [60, 30]


def test_a_window_without_an_end_or_already_over_is_refused(ops):
    campaign = maintenance_draft(ops)
    campaign.incident.expected_resolution_at = None
    assert "needs its end" in str(_when(campaign, reminder_hours="1").errors)
    campaign.incident.started_at = timezone.now() - timedelta(hours=3)
    campaign.incident.expected_resolution_at = timezone.now() - timedelta(hours=1)
    assert "already ended" in str(_when(campaign, reminder_hours="").errors)


def test_the_incident_step_wants_an_end_after_the_start_for_maintenance():
    start = timezone.localtime() + timedelta(days=1)
    data = {
        "title": "Upgrade",
        "kind": "maintenance",
        "services": ["SMS service"],
        "severity": "minor",
        "started_at": start.strftime(FMT),
    }
    form = IncidentForm(data)
    assert not form.is_valid() and "end of its window" in form.errors["expected_resolution_at"][0]
    form = IncidentForm({**data, "expected_resolution_at": (start - timedelta(hours=1)).strftime(FMT)})
    assert not form.is_valid() and "after the start" in form.errors["expected_resolution_at"][0]
    form = IncidentForm({**data, "expected_resolution_at": (start + timedelta(hours=2)).strftime(FMT)})
    assert form.is_valid(), form.errors


def test_the_when_step_saves_the_offsets_and_junk_is_shown_beside_the_field(client, ops):
    campaign = maintenance_draft(ops, offsets=())
    Campaign.objects.filter(pk=campaign.pk).update(wizard_step="when")
    url = reverse("campaigns:wizard", args=[campaign.pk, "when"])
    page = client.get(url)
    assert page.status_code == 200 and 'value="24, 1"' in page.content.decode()
    bad = client.post(url, {"send_mode": "now", "reminder_hours": "x" * 500, "tz": "UTC"})
    assert bad.status_code == 200 and "reminder_hours" in bad.content.decode()
    good = client.post(url, {"send_mode": "now", "reminder_hours": "2, 24", "tz": "UTC"})
    assert good.status_code == 302
    campaign.refresh_from_db()
    assert campaign.reminder_offsets == [1440, 120]
    assert campaign.events.filter(action="edited", detail__contains="maintenance reminders").exists()


def test_an_outage_has_no_reminder_field(client, ops):
    campaign = maintenance_draft(ops)
    Campaign.objects.filter(pk=campaign.pk).update(wizard_step="when", kind="outage")
    page = client.get(reverse("campaigns:wizard", args=[campaign.pk, "when"]))
    assert "reminder_hours" not in page.content.decode()

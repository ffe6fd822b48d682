"""Planned maintenance in Chromium at 1366 px: the outage form makes a maintenance notice with its window and its
reminders (a reminder before the notice can go is refused beside the field), and the notice page shows the schedule
with a Cancel for each notice still to come.

``MAINTENANCE_SCREENSHOTS=1`` saves the When step and the notice page under var/screenshots/ (not committed).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from campaigns.selectors.maintenance import maintenance_notices
from outage_portal.heartbeat import worker_heartbeat_write
from tests.conftest import browser_login
from tests.factories import ClientFactory, UserFactory, ensure_staff_groups
from tests.wizard.factories import MessageTemplateFactory, TemplateVersionFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]
FMT = "%Y-%m-%dT%H:%M"


def shot(page, name: str) -> None:
    if os.environ.get("MAINTENANCE_SCREENSHOTS"):
        folder = Path(settings.BASE_DIR) / "var" / "screenshots"
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"maintenance-{name}.png"), full_page=True)


def test_a_maintenance_notice_with_reminders_from_the_form_to_its_schedule(
    page, live_server, celery_worker_process, infobip_sandbox
):
    ensure_staff_groups()
    UserFactory(username="olivia", groups=["Ops"])
    ClientFactory.create_batch(3)
    worker_heartbeat_write(hostname="test-worker")
    template = MessageTemplateFactory(name="Planned maintenance", kind="maintenance")
    TemplateVersionFactory(
        template=template,
        language="en",
        sms_text="{{ client_name }}: maintenance on {{ service }} from {{ started_at }}.",
    )
    page.set_viewport_size({"width": 1366, "height": 900})
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, live_server, "olivia")

    page.goto(f"{live_server.url}/campaigns/new/")
    start = timezone.localtime() + timedelta(days=2)  # Chromium's zone is the portal's here (UTC)
    page.get_by_label("What happened?").fill("Core router upgrade")
    page.get_by_label("Planned maintenance").check()
    page.get_by_label("SMS service", exact=True).check()
    page.get_by_label("Started at").fill(start.strftime(FMT))
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#id_expected_resolution_at_error")).to_contain_text("needs the end of its window")
    page.get_by_label("Expected resolution").fill((start + timedelta(hours=2)).strftime(FMT))
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/audience/")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/message/")
    page.get_by_role("button", name="Save and continue").click()

    page.wait_for_url("**/wizard/when/")
    field = page.get_by_label("Reminders before the maintenance starts (hours)")
    expect(field).to_have_value("24, 1")  # the defaults
    field.fill("72, 1")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator("#id_reminder_hours_error")).to_contain_text("72 h before the start is")
    page.get_by_label("Reminders before the maintenance starts (hours)").fill("24, 1")
    shot(page, "when")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/preview/")
    expect(page.locator("#maintenance-plan")).to_contain_text("reminder, 24 h before")
    expect(page.locator("#maintenance-plan")).to_contain_text("completed")
    shot(page, "preview")
    page.get_by_role("button", name="Looks right — continue").click()
    page.wait_for_url("**/wizard/test/")
    page.get_by_role("button", name=re.compile("Skip the test")).first.click()
    page.wait_for_url("**/wizard/send/")
    page.get_by_label(re.compile(r"Yes, send to 3 people")).check()
    page.get_by_role("button", name="Send to 3 people").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/$"))

    schedule = page.locator("#maintenance-schedule")
    rows = schedule.locator("tbody tr")
    expect(rows).to_have_count(4)
    for index, label in enumerate(("Reminder, 24 h before", "Reminder, 1 h before", "Started", "Completed")):
        expect(rows.nth(index).locator("td").first).to_have_text(label)
        expect(rows.nth(index).locator(".schedule-state")).to_have_text("Scheduled")
    day_before = (start - timedelta(hours=24)).strftime("%-d %b %Y %H:%M")
    expect(rows.nth(0).locator("td").nth(1)).to_have_text(day_before)
    expect(schedule.locator("#maintenance-window")).to_contain_text(start.strftime("%-d %b %Y %H:%M"))
    expect(schedule.get_by_role("button", name="Start now")).to_be_visible()
    shot(page, "notice")

    schedule.get_by_role("button", name="Cancel Reminder, 1 h before").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/$"))
    campaign = Campaign.objects.get(kind="maintenance", maintenance_step="")
    states = list(maintenance_notices(campaign).values_list("state", flat=True))
    assert states == ["scheduled", "cancelled", "scheduled", "scheduled"]

    later = start + timedelta(hours=3)
    schedule.get_by_label("New end").fill(later.strftime(FMT))
    schedule.get_by_role("button", name="Extend the window").click()
    expect(page.locator(".alert-success")).to_contain_text("The window is extended")
    expect(rows.nth(3).locator("td").nth(1)).to_have_text(later.strftime("%-d %b %Y %H:%M"))
    schedule.get_by_role("button", name="Start now").click()
    expect(page.locator(".alert-success")).to_contain_text("The maintenance started")
    reminder = schedule.locator('tr[data-step="reminder"]').first
    expect(reminder.locator(".schedule-state")).to_have_text("Cancelled")  # the reminder not sent yet
    expect(reminder.locator("td").first).to_have_text("Reminder, 24 h before")
    started_row = schedule.locator('tr[data-step="started"]')
    for _ in range(120):  # the worker wrote the first notice's recipients, then "started" goes (poll, reloading)
        if started_row.locator(".schedule-state").inner_text() in ("Sending", "Completed"):
            break
        page.wait_for_timeout(1000)
        page.reload()
    expect(started_row.locator(".schedule-state")).to_have_text(re.compile("Sending|Completed"))
    shot(page, "started")
    page.locator("#maintenance-schedule").get_by_role("button", name="Complete now").click()
    expect(page.locator(".alert-success")).to_contain_text("The maintenance is completed")
    completed_row = schedule.locator('tr[data-step="completed"]')
    expect(completed_row.locator(".schedule-state")).to_have_text(re.compile("Sending|Completed"))
    shot(page, "completed")

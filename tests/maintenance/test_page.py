"""The notice page of a maintenance: its schedule with a Cancel per notice still to come, the window buttons for
those who may send, none for viewers (and the services refuse them too: test_schedule.py)."""

import pytest
from django.urls import reverse

from campaigns.selectors.maintenance import maintenance_notices
from campaigns.services import door
from tests.factories import ClientFactory, UserFactory
from tests.maintenance.conftest import maintenance_draft

pytestmark = pytest.mark.django_db


def test_the_page_lists_the_schedule_and_the_window_buttons(client, ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    html = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert 'id="maintenance-schedule"' in html
    for label in ("Reminder, 24 h before", "Reminder, 1 h before", "Started", "Completed", "Start now", "Complete now"):
        assert label in html
    for notice in maintenance_notices(campaign):
        assert reverse("campaigns:cancel", args=[notice.pk]) in html
    child = maintenance_notices(campaign).last()
    html = client.get(reverse("campaigns:detail", args=[child.pk])).content.decode()
    assert 'id="maintenance-schedule"' in html and reverse("campaigns:detail", args=[campaign.pk]) in html


def test_cancel_from_the_page_cancels_the_whole_schedule(client, ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    client.post(reverse("campaigns:cancel", args=[campaign.pk]))
    assert set(maintenance_notices(campaign).values_list("state", flat=True)) == {"cancelled"}


def test_a_viewer_sees_the_schedule_but_no_buttons_and_cannot_post(client, ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    client.force_login(UserFactory(username="vera", groups=["Viewers"]))
    html = client.get(reverse("campaigns:detail", args=[campaign.pk])).content.decode()
    assert 'id="maintenance-schedule"' in html and "Start now" not in html
    for name in ("maintenance_start", "maintenance_complete", "maintenance_extend"):
        assert client.post(reverse(f"campaigns:{name}", args=[campaign.pk])).status_code == 403
    assert maintenance_notices(campaign).filter(state="scheduled").count() == 4


def test_extend_with_junk_is_refused_with_a_message(client, ops):
    ClientFactory()
    campaign = door.campaign_confirm(campaign=maintenance_draft(ops), actor=ops)
    response = client.post(
        reverse("campaigns:maintenance_extend", args=[campaign.pk]), {"end": "not a date"}, follow=True
    )
    assert response.status_code == 200 and "Give the new end" in response.content.decode()
    response = client.post(
        reverse("campaigns:maintenance_start", args=[maintenance_notices(campaign).first().pk]), follow=True
    )
    assert response.status_code == 200

"""Four eyes in headless Chromium, on the real pages: an approver declines with a reason the author then reads;
an incident lead sends in an emergency and the reason shows on the notice page and the dashboard; someone who
edited a notice is not offered (and refused) the approval."""

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignEvent
from notifications.models import Send
from tests.conftest import browser_login
from tests.factories import BucketFactory, ClientFactory, UserFactory
from tests.wizard.factories import CampaignFactory, content_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def draft(settings):
    """A draft of olivia's at the Send step, for 5 clients: above the threshold of 3."""
    settings.APPROVAL_THRESHOLD = 3
    olivia = UserFactory(username="olivia", groups=["Ops"])
    bucket = BucketFactory(name="Lyon north")
    bucket.clients.add(*ClientFactory.create_batch(5))
    return CampaignFactory(
        title="Fibre cut, Lyon north",
        wizard_step="send",
        channels=["sms"],
        audience={"buckets": [bucket.pk]},
        content=content_for("en"),
        created_by=olivia,
    )


def confirm(page, live_server, campaign):
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/wizard/send/")
    page.get_by_label("Yes, send to 5 people (5 messages)").check()
    page.get_by_role("button", name="Ask for approval to send to 5 people").click()
    page.wait_for_url(f"**/campaigns/{campaign.pk}/")


def log_out(page):
    page.get_by_role("button", name="Log out").click()


def test_decline_with_a_reason_is_seen_by_the_author(page, live_server, draft):
    UserFactory(username="anna", groups=["Approvers"])
    browser_login(page, live_server, "olivia")
    confirm(page, live_server, draft)
    expect(page.locator("#approval-box")).to_contain_text("Waiting for approval")
    log_out(page)

    browser_login(page, live_server, "anna")
    row = page.locator(f"#awaiting-approval tr[data-campaign='{draft.pk}']")
    expect(row).to_contain_text("olivia")
    expect(row).to_contain_text("5")
    row.get_by_role("link", name="Fibre cut, Lyon north").click()
    page.wait_for_url("**/wizard/preview/")
    page.locator("#decline-details summary").click()
    page.get_by_label("Why (the author reads this)").fill("Wrong bucket: Lyon south is the one that is down")
    page.get_by_role("button", name="Decline and send back to the author").click()
    page.wait_for_url(f"**/campaigns/{draft.pk}/")
    expect(page.locator("#decline-reason")).to_have_text("Wrong bucket: Lyon south is the one that is down")
    log_out(page)

    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/")
    page.locator(f"tr[data-campaign='{draft.pk}'] a").first.click()
    page.wait_for_url("**/wizard/**")
    expect(page.locator("#decline-banner, #decline-box").first).to_contain_text("Lyon south is the one that is down")
    page.goto(f"{live_server.url}/campaigns/{draft.pk}/")
    expect(page.locator("#decline-box")).to_contain_text("Declined by anna")
    draft.refresh_from_db()
    assert draft.state == Campaign.State.DRAFT and not Send.objects.exists()


def test_emergency_send_shows_its_reason_on_the_notice_page_and_dashboard(page, live_server, draft):
    lead = UserFactory(username="lee", groups=["Ops", "Incident leads"])
    Campaign.objects.filter(pk=draft.pk).update(created_by=lead)
    browser_login(page, live_server, "lee")
    page.goto(f"{live_server.url}/campaigns/{draft.pk}/wizard/send/")
    page.get_by_label("Yes, send to 5 people (5 messages)").check()
    page.locator("#emergency-details summary").click()
    reason = "Every customer in Lyon is down and no approver answers the phone"
    page.get_by_label("Why it cannot wait for approval").fill(reason)
    page.get_by_role("button", name="Emergency send to 5 people now").click()
    page.wait_for_url(f"**/campaigns/{draft.pk}/")
    expect(page.locator("#emergency-box")).to_contain_text("by lee")
    expect(page.locator("#emergency-reason")).to_have_text(reason)
    expect(page.locator("#audit li[data-action=emergency_send]")).to_contain_text(reason)
    page.goto(f"{live_server.url}/")
    expect(page.locator(f"#emergency-sends li[data-campaign='{draft.pk}']")).to_contain_text(reason)
    expect(page.locator(f"#emergency-sends li[data-campaign='{draft.pk}']")).to_contain_text("by lee")
    assert Send.objects.filter(is_test=False).count() == 1


def test_an_editor_cannot_approve(page, live_server, draft):
    UserFactory(username="lee", groups=["Ops", "Incident leads", "Approvers"])
    browser_login(page, live_server, "lee")
    page.goto(f"{live_server.url}/campaigns/{draft.pk}/wizard/message/")
    page.locator("textarea[name=en_sms_text]").fill("{{ client_name }}: fibre cut in Lyon, we are on it.")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/when/")
    log_out(page)
    browser_login(page, live_server, "olivia")
    confirm(page, live_server, draft)
    log_out(page)

    browser_login(page, live_server, "lee")
    page.goto(f"{live_server.url}/campaigns/{draft.pk}/wizard/preview/")
    expect(page.locator("#approval-box")).to_contain_text("Waiting for approval")
    expect(page.locator("#approval-problem")).to_contain_text("You edited this notice")
    expect(page.locator("#approve-button")).to_have_count(0)
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    response = page.request.post(
        f"{live_server.url}/campaigns/{draft.pk}/approve/",
        form={"csrfmiddlewaretoken": token},
        headers={"Referer": page.url},
    )
    assert response.status == 403 and "You edited this notice" in response.text()
    draft.refresh_from_db()
    assert draft.state == Campaign.State.AWAITING_APPROVAL and not Send.objects.exists()
    assert CampaignEvent.objects.filter(campaign=draft, action="edited", actor__username="lee").exists()

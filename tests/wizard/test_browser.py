"""The outage form in headless Chromium, walked as ops would walk it.

Set ``WIZARD_SCREENSHOTS=1`` to refresh the screenshots in docs/img/ (used by README.md and docs/outage-form.md):
this module takes the template error caught at the Message step, test_browser_target.py the rest.
"""

import sys
import time

import pytest

from campaigns.models import Campaign
from notifications.models import Send
from outage_portal.heartbeat import worker_heartbeat_write
from tests.conftest import browser_login
from tests.factories import BucketFactory, ClientFactory, TestRecipientFactory, UserFactory
from tests.wizard.walk import Walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def paris():
    bucket = BucketFactory(name="Paris region")
    for index, language in enumerate(("en", "en", "fr", "fr", "en")):
        bucket.clients.add(ClientFactory(language=language, name=f"Client {language.upper()} {index}"))
    BucketFactory(name="Key accounts")
    return bucket


def save_and_continue(walk):
    walk.click(walk.page.get_by_role("button", name="Save and continue"))


def build_notice(page, live_server, walk, *, check_back=True):
    """Incident → Audience (bucket, both channels) → Message (en, fr; a template error caught) → When → Preview."""
    walk.click(page.get_by_role("link", name="New outage notice"))
    walk.fill(page.get_by_label("What happened?"), "SMS delivery delayed in Paris")
    walk.click(page.get_by_label("SMS service", exact=True))
    walk.fill(page.get_by_label("Expected resolution"), "2030-01-01T12:00")
    save_and_continue(walk)

    page.wait_for_url("**/wizard/audience/")
    walk.click(page.get_by_label("Paris region"))
    # Both channels are ticked already: the Paris clients can be reached on both.
    assert page.get_by_label("SMS", exact=True).is_checked() and page.get_by_label("Email", exact=True).is_checked()
    page.locator('.channel-count[data-channel="email"] [data-eligible="5"]').wait_for()
    save_and_continue(walk)

    page.wait_for_url("**/wizard/message/")
    walk.fill(
        page.locator("#id_en_sms_text"),
        "{{ client_name }}: SMS delivery is delayed. Fix expected {{ expected_resolution }}.",
    )
    walk.fill(page.locator("#id_en_email_subject"), "SMS delivery delayed")
    walk.fill(page.locator("#id_en_email_text"), "Hello {{ client_name }}, SMS delivery is delayed.")
    walk.fill(page.locator("#id_en_email_html"), "<p>Hello <b>{{ client_name }}</b>, SMS delivery is delayed.</p>")
    walk.click(page.locator('[data-lang-tab="fr"]'))
    walk.fill(page.locator("#id_fr_sms_text"), "{{ nom }} : les SMS sont retardés.")
    walk.fill(page.locator("#id_fr_email_subject"), "SMS retardés")
    walk.fill(page.locator("#id_fr_email_text"), "Bonjour {{ client_name }}, les SMS sont retardés.")
    save_and_continue(walk)
    # The unknown variable is caught at this step, beside its field, on the French tab.
    error = page.locator(
        "#id_fr_sms_text ~ .invalid-feedback, #error_1_id_fr_sms_text, .lang-pane[data-lang=fr] .invalid-feedback"
    ).first
    error.wait_for()
    assert "unknown variable 'nom'" in error.inner_text()
    walk.shot("3-message-error")
    field = page.locator("#id_fr_sms_text")
    walk.fill(field, "")
    field.focus()
    walk.click(page.locator('[data-insert-variable="client_name"]'))
    field.press("End")
    field.type(" : les SMS sont retardés.")
    assert field.input_value() == "{{ client_name }} : les SMS sont retardés."
    counter = page.locator('.lang-pane[data-lang="fr"] [data-sms-counter] .js-encoding')
    assert counter.inner_text() == "GSM-7"

    if check_back:
        walk.click(page.get_by_role("button", name="Back"))
        page.wait_for_url("**/wizard/audience/")
        assert page.get_by_label("Paris region").is_checked()
        assert page.get_by_label("Email", exact=True).is_checked()
        save_and_continue(walk)
        page.wait_for_url("**/wizard/message/")
        walk.click(page.locator('[data-lang-tab="fr"]'))
        assert page.locator("#id_fr_sms_text").input_value() == "{{ client_name }} : les SMS sont retardés."
    save_and_continue(walk)

    page.wait_for_url("**/wizard/when/")
    save_and_continue(walk)
    page.wait_for_url("**/wizard/preview/")
    assert page.locator("#reach-recipients").inner_text() == "5"
    assert page.locator('.sample[data-channel="sms"][data-language="fr"]').count() == 2
    assert page.frame_locator("iframe").first.locator("b").inner_text().startswith("Client EN")
    assert (
        "les SMS sont retardés"
        in page.locator('.sample[data-channel="email"][data-language="fr"] .email-text').first.inner_text()
    )
    walk.click(page.get_by_role("button", name="Looks right — continue"))
    page.wait_for_url("**/wizard/test/")


def send_now(page, walk):
    page.wait_for_url("**/wizard/send/")
    walk.click(page.get_by_label("Yes, send to 5 people (10 messages)"))
    walk.click(page.get_by_role("button", name="Send to 5 people"))
    page.wait_for_url("**/campaigns/*/")


def test_ops_builds_and_sends_a_notice_end_to_end(page, live_server, paris, capsys):
    """Ops build a bucket notice on both channels in en and fr, go back and forth, catch a template error, skip the
    test, send, and land on the campaign page with one queued send for five recipients."""
    UserFactory(username="olivia", groups=["Ops"])
    worker_heartbeat_write(hostname="test")  # no staff warning on the screenshot: no worker is needed here
    browser_login(page, live_server, "olivia")
    walk = Walk(page)
    build_notice(page, live_server, walk)
    walk.click(page.get_by_role("button", name="Skip the test"))
    send_now(page, walk)
    campaign = Campaign.objects.get()
    assert page.url == f"{live_server.url}/campaigns/{campaign.pk}/"
    assert campaign.state == "sending" and campaign.audience_size == 5
    send = Send.objects.get(is_test=False)
    assert set(send.content) == {"en", "fr"} and send.channels == ["sms", "email"]
    with capsys.disabled():
        sys.stdout.write(
            f"\n[wizard walk] {walk.clicks} clicks, {walk.fields} typed fields, {walk.seconds:.1f} s "
            "(incl. a deliberate template error and a Back/forward check)\n"
        )


def test_fastest_walk_for_a_bucket(page, live_server, paris, capsys):
    """The shortest path a person takes for a bucket notice (no detours) stays well under two minutes."""
    UserFactory(username="olivia", groups=["Ops"])
    browser_login(page, live_server, "olivia")
    walk = Walk(page)
    walk.click(page.get_by_role("link", name="New outage notice"))
    walk.fill(page.get_by_label("What happened?"), "Email delays")
    walk.click(page.get_by_label("Email service", exact=True))
    save_and_continue(walk)
    walk.click(page.get_by_label("Paris region"))
    save_and_continue(walk)
    walk.fill(page.locator("#id_en_sms_text"), "Email delays, we are on it.")
    walk.fill(page.locator("#id_en_email_subject"), "Email delays")
    walk.fill(page.locator("#id_en_email_text"), "Email delays, we are on it.")
    save_and_continue(walk)
    save_and_continue(walk)
    walk.click(page.get_by_role("button", name="Looks right — continue"))
    walk.click(page.get_by_role("button", name="Skip the test"))
    send_now(page, walk)
    assert Send.objects.filter(is_test=False).count() == 1
    assert walk.seconds < 120
    with capsys.disabled():
        sys.stdout.write(
            f"\n[wizard fastest walk] {walk.clicks} clicks, {walk.fields} typed fields, {walk.seconds:.1f} s\n"
        )


def test_draft_resumed_after_logout_in_the_browser(page, live_server, paris):
    """A draft left at the Message step reopens there after logging out and in, with the text kept."""
    UserFactory(username="olivia", groups=["Ops"])
    browser_login(page, live_server, "olivia")
    walk = Walk(page)
    walk.click(page.get_by_role("link", name="New outage notice"))
    walk.fill(page.get_by_label("What happened?"), "Portal down")
    walk.click(page.get_by_label("Email service", exact=True))
    save_and_continue(walk)
    walk.click(page.get_by_label("All clients"))
    walk.click(page.get_by_label("SMS", exact=True))  # Email only: untick the SMS channel ticked for them
    save_and_continue(walk)
    page.locator("#id_en_email_subject").fill("Half-written subject")
    page.get_by_role("button", name="Back").click()
    page.wait_for_url("**/wizard/audience/")
    page.get_by_role("button", name="Log out").click()
    browser_login(page, live_server, "olivia")
    campaign = Campaign.objects.get()
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/wizard/message/")
    assert page.locator("#id_en_email_subject").input_value() == "Half-written subject"


def test_viewer_is_refused_the_wizard(page, live_server):
    """A Viewer sees no New notice button and gets 403 on the wizard."""
    UserFactory(username="victor", groups=["Viewers"])
    browser_login(page, live_server, "victor")
    assert page.get_by_role("link", name="New outage notice").count() == 0
    response = page.goto(f"{live_server.url}/campaigns/new/")
    assert response.status == 403


def test_double_click_on_send_sends_once(page, live_server, paris):
    """A double click on Send, then Back and resubmitting, create a single send."""
    UserFactory(username="olivia", groups=["Ops"])
    browser_login(page, live_server, "olivia")
    walk = Walk(page)
    build_notice(page, live_server, walk, check_back=False)
    page.get_by_role("button", name="Skip the test").click()
    page.wait_for_url("**/wizard/send/")
    page.get_by_label("Yes, send to 5 people (10 messages)").check()
    page.get_by_role("button", name="Send to 5 people").dblclick()
    page.wait_for_url("**/campaigns/*/")
    page.go_back()
    if page.get_by_role("button", name="Send to 5 people").count():
        page.get_by_label("Yes, send to 5 people (10 messages)").check()
        page.get_by_role("button", name="Send to 5 people").click()
        page.wait_for_url("**/campaigns/*/")
    assert Send.objects.filter(is_test=False).count() == 1


def test_approval_path_in_the_browser(page, live_server, paris, settings):
    """Above the threshold, sending waits for approval; an approver approves from the preview page."""
    settings.APPROVAL_THRESHOLD = 3
    UserFactory(username="olivia", groups=["Ops"])
    UserFactory(username="anna", groups=["Approvers"])
    browser_login(page, live_server, "olivia")
    walk = Walk(page)
    build_notice(page, live_server, walk, check_back=False)
    page.get_by_role("button", name="Skip the test").click()
    page.wait_for_url("**/wizard/send/")
    assert "a second person" in page.locator("#send-form").inner_text()
    page.get_by_label("Yes, send to 5 people (10 messages)").check()
    page.get_by_role("button", name="Send to 5 people").click()
    page.wait_for_url("**/campaigns/*/")
    campaign = Campaign.objects.get()
    assert campaign.state == "awaiting_approval" and not Send.objects.exists()
    page.get_by_role("button", name="Log out").click()
    browser_login(page, live_server, "anna")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/wizard/preview/")
    page.get_by_role("button", name="Approve and send to 5 recipients").click()
    page.wait_for_url(f"**/campaigns/{campaign.pk}/")
    campaign.refresh_from_db()
    assert campaign.state == "sending" and campaign.approved_by.username == "anna"
    assert Send.objects.filter(is_test=False).count() == 1


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.redis
def test_test_send_delivered_then_real_send_delivered(
    page, live_server, paris, celery_worker_process, infobip_sandbox, capsys
):
    """Through the real worker and the sandbox: the test's statuses arrive on the page as delivered, then the notice
    is sent and the browser lands on its page while its messages are delivered."""
    from notifications.models import Message

    TestRecipientFactory(name="Dana (on call)")
    TestRecipientFactory(name="Sam (support)")
    UserFactory(username="olivia", groups=["Ops"])
    browser_login(page, live_server, "olivia")
    walk = Walk(page)
    build_notice(page, live_server, walk, check_back=False)
    walk.click(page.get_by_role("button", name="Send test"))
    # The test's statuses arrive on the Send step, where the notice is confirmed.
    page.wait_for_url("**/wizard/send/")
    page.locator("#test-status .test-done").wait_for(timeout=45_000)
    assert page.locator("#test-status .test-done").inner_text() == "4 of 4 delivered."
    assert page.locator('#test-status tr[data-state="delivered"]').count() == 4
    test_send = Send.objects.get(is_test=True)
    assert set(Message.objects.filter(send=test_send).values_list("test_recipient__name", flat=True)) == {
        "Dana (on call)",
        "Sam (support)",
    }
    assert not Message.objects.filter(send=test_send, client__isnull=False).exists()
    send_now(page, walk)
    campaign = Campaign.objects.get()
    assert page.url == f"{live_server.url}/campaigns/{campaign.pk}/"
    send = Send.objects.get(is_test=False)
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline and Message.objects.filter(send=send, state="delivered").count() < 10:
        time.sleep(0.5)
    assert Message.objects.filter(send=send, state="delivered").count() == 10
    page.reload()
    with capsys.disabled():
        sys.stdout.write(
            f"\n[wizard walk with test send, real worker] {walk.clicks} clicks, {walk.fields} typed "
            f"fields, {walk.seconds:.1f} s until the campaign page showed all 10 delivered\n"
        )

"""Issue 13 in Chromium, through the real worker and the Infobip sandbox where the guarantee needs them.

- Item 2: the target walk — a two-language notice to one bucket on both channels from the kind's template, with a
  test send — in at most 15 interactions after login, counted as the issue counts them (``Walk``).
- Item 1: the Send step lists the placeholders that would reach people empty and sends only once they are filled or
  the gap is accepted; a field's error goes away as soon as it is fixed.
- Item 3: "Send resolved" opens ready: its text in the first notice's languages, the same people, the same channels.
- Item 5: the notice page shows what went out per language and channel (the email in a frame that runs nothing),
  the recipients list the provider's status apart, and a message's whole text on its own page.

``WIZARD_SCREENSHOTS=1`` refreshes the README's and docs/outage-form.md's screenshots from the target walk.
"""

from __future__ import annotations

import re
import sys
import time

import pytest
from playwright.sync_api import expect

from campaigns.models import Campaign, CampaignEvent, TemplateVersion
from campaigns.selectors.messages import campaign_recipient_client_ids
from campaigns.selectors.state import campaign_main_send
from campaigns.services.door import campaign_confirm
from campaigns.services.drafts import campaign_draft_create
from clients.models import Client
from notifications.models import Message, Send
from outage_portal.heartbeat import worker_heartbeat_write
from tests.conftest import browser_login
from tests.factories import BucketFactory, ClientFactory, TestRecipientFactory, UserFactory
from tests.wizard.factories import MessageTemplateFactory, TemplateVersionFactory
from tests.wizard.walk import Walk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.timeout(240)]

TEXTS = {
    "en": {
        "sms": "{{ client_name }}: outage on {{ service }}. Expected fix {{ expected_resolution }}.",
        "subject": "Outage: {{ service }}",
        "text": "Hello {{ client_name }},\n{{ service }} is down. Expected fix {{ expected_resolution }}.",
        "html": "<p>Hello <b>{{ client_name }}</b>,</p><p>{{ service }} is down.</p>",
    },
    "fr": {
        "sms": "{{ client_name }} : panne sur {{ service }}. Retour prévu {{ expected_resolution }}.",
        "subject": "Panne : {{ service }}",
        "text": "Bonjour {{ client_name }},\n{{ service }} est en panne.",
        "html": "<p>Bonjour <b>{{ client_name }}</b>,</p><p>{{ service }} est en panne.</p>",
    },
}
RESOLVED = {
    "en": "{{ client_name }}: {{ service }} works again. Thank you for your patience.",
    "fr": "{{ client_name }} : {{ service }} fonctionne à nouveau. Merci de votre patience.",
}


def template(name: str, kind: str, texts: dict, *, default: bool = True) -> None:
    saved = MessageTemplateFactory(name=name, kind=kind)
    for language, text in texts.items():
        TemplateVersionFactory(
            template=saved,
            language=language,
            sms_text=text["sms"] if isinstance(text, dict) else text,
            email_subject=text["subject"] if isinstance(text, dict) else "Resolved: {{ service }}",
            email_text=text["text"] if isinstance(text, dict) else text,
            email_html=text["html"] if isinstance(text, dict) else "",
            is_default=default,
        )


@pytest.fixture
def portal(transactional_db):
    """The Paris bucket (three English and two French clients, SMS and email), two colleagues (English, French),
    the outage and resolved templates marked as their kind's default, an Ops user, and a live worker heartbeat."""
    bucket = BucketFactory(name="Paris region")
    for index, language in enumerate(("en", "en", "fr", "fr", "en")):
        bucket.clients.add(ClientFactory(language=language, name=f"Client {language.upper()} {index}"))
    BucketFactory(name="Key accounts").clients.add(ClientFactory(language="en"))
    ClientFactory.create_batch(3, language="fr")  # SMS clients outside the bucket
    TestRecipientFactory(name="Dana (on call)", language="en")
    TestRecipientFactory(name="Sam (support)", language="fr")
    template("Outage: service down", "outage", TEXTS)
    template("Service restored", "resolved", RESOLVED)
    UserFactory(username="olivia", groups=["Ops"])
    worker_heartbeat_write(hostname="test-worker")  # the staff warning stays off the screenshots
    return bucket


def first_notice(bucket, ops) -> Campaign:
    draft = campaign_draft_create(
        incident_fields={"title": "Fibre cut in Paris", "services": ["SMS service"]},
        kind="outage",
        title="Fibre cut in Paris",
        audience={"buckets": [bucket.pk]},
        channels=["sms", "email"],
        created_by=ops,
        kind_text=True,
        variables={"expected_resolution": "14:00"},
    )
    return campaign_confirm(campaign=draft, actor=ops)


def wait_delivered(campaign: Campaign, count: int, worker) -> None:
    send = campaign_main_send(campaign)
    deadline = time.monotonic() + 90
    while Message.objects.filter(send=send, state=Message.State.DELIVERED).count() < count:
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.3)


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.redis
def test_the_target_walk_takes_at_most_15_interactions(
    page, live_server, portal, celery_worker_process, infobip_sandbox, capsys
):
    """Issue 13 item 2: kind's template, one bucket, both channels, two languages, a test send, sent."""
    browser_login(page, live_server, "olivia")
    walk = Walk(page)
    walk.click(page.get_by_role("link", name="New outage notice"), "New outage notice")
    walk.fill(page.get_by_label("What happened?"), "SMS delivery delayed in Paris", "the title")
    walk.tick(page.get_by_label("SMS service", exact=True), "SMS service")
    walk.fill(page.get_by_label("Expected resolution"), "2030-01-01T12:00", "the expected resolution")
    walk.shot("1-incident")
    walk.click(page.get_by_role("button", name="Save and continue"), "Save and continue")

    page.wait_for_url("**/wizard/audience/")
    # The affected service ticked "SMS clients" and both channels those clients are reached on.
    expect(page.get_by_label("SMS clients")).to_be_checked()
    expect(page.get_by_label("SMS", exact=True)).to_be_checked()
    expect(page.get_by_label("Email", exact=True)).to_be_checked()
    walk.tick(page.get_by_label("Paris region"), "the bucket")
    expect(page.get_by_label("SMS clients")).not_to_be_checked()  # the suggestion made way for the bucket
    page.locator('.channel-count[data-channel="email"] [data-eligible="5"]').wait_for()
    walk.shot("2-audience")
    walk.click(page.get_by_role("button", name="Save and continue"), "Save and continue")

    page.wait_for_url("**/wizard/message/")
    # The kind's template is already applied, in both languages.
    expect(page.locator("#id_en_sms_text")).to_have_value(TEXTS["en"]["sms"])
    expect(page.locator("#id_fr_sms_text")).to_have_value(TEXTS["fr"]["sms"])
    walk.shot("3-message")
    walk.click(page.get_by_role("button", name="Save and continue"), "Save and continue")
    page.wait_for_url("**/wizard/when/")
    walk.shot("4-when")
    walk.click(page.get_by_role("button", name="Save and continue"), "Save and continue")

    page.wait_for_url("**/wizard/preview/")
    expect(page.locator("#reach-recipients")).to_have_text("5")
    tabs = page.locator("[data-tabs] [data-tab]")
    expect(tabs).to_have_text(["English · SMS", "English · Email", "Français · SMS", "Français · Email"])
    expect(page.locator('[data-tab-pane="fr-sms"]')).to_be_hidden()  # one language and channel at a time
    expect(page.get_by_role("button", name="Looks right — continue")).to_be_in_viewport()  # the way forward
    walk.shot("5-preview")
    walk.click(page.get_by_role("button", name="Looks right — continue"), "Looks right — continue")

    page.wait_for_url("**/wizard/test/")
    walk.shot("6-test")
    walk.click(page.get_by_role("button", name="Send test"), "Send test")
    page.wait_for_url("**/wizard/send/")
    page.locator("#test-status .test-done").wait_for(timeout=60_000)
    rows = page.locator("#test-status tbody tr")
    got = {tuple(cell.strip() for cell in row.split("\t")[:3]) for row in rows.all_inner_texts()}
    assert got == {
        ("Dana (on call)", "English", "SMS"),
        ("Dana (on call)", "English", "Email"),
        ("Sam (support)", "Français", "SMS"),
        ("Sam (support)", "Français", "Email"),
    }
    assert page.locator("#empty-placeholders").count() == 0
    walk.shot("7-send")
    walk.tick(page.get_by_label("Yes, send to 5 people (10 messages)"), "the confirmation")
    walk.click(page.get_by_role("button", name="Send to 5 people"), "Send")
    page.wait_for_url(re.compile(r"/campaigns/\d+/$"))
    seconds = walk.seconds

    campaign = Campaign.objects.get(parent__isnull=True)
    send = Send.objects.get(is_test=False)
    assert set(send.content) == {"en", "fr"} and send.channels == ["sms", "email"]
    assert send.audience == {"buckets": [portal.pk]} and campaign.template.name == "Outage: service down"
    assert walk.interactions <= 15, walk.log
    wait_delivered(campaign, 10, celery_worker_process)
    page.reload()
    walk.shot("8-campaign")
    page.goto(f"{live_server.url}/")
    walk.shot("dashboard", prefix="")
    with capsys.disabled():
        sys.stdout.write(f"\n[issue 13 target walk] {walk.interactions} interactions: {', '.join(walk.log)}\n")
        sys.stdout.write(f"[issue 13 target walk] {walk.summary()}; sent after {seconds:.1f} s\n")


def test_empty_placeholders_are_listed_and_must_be_filled_or_accepted(page, live_server, portal):
    """Issue 13 item 1: {{ status_page }} empty for everyone and {{ account }} blank for one French client."""
    ops = UserFactory(username="olivia")
    Client.objects.filter(pk=portal.clients.filter(language="fr").first().pk).update(account="")
    draft = campaign_draft_create(
        incident_fields={"title": "Fibre cut in Paris", "services": ["SMS service"]},
        kind="outage",
        title="Fibre cut in Paris",
        audience={"buckets": [portal.pk]},
        channels=["sms"],
        content={
            "en": {"sms": {"text": "{{ client_name }}: fibre cut. Status: {{ status_page }}"}},
            "fr": {"sms": {"text": "{{ account }} : coupure. Statut : {{ status_page }}"}},
        },
        created_by=ops,
    )
    Campaign.objects.filter(pk=draft.pk).update(wizard_step="send")
    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/{draft.pk}/wizard/send/")
    gaps = page.locator("#empty-placeholders")
    expect(gaps.locator('tr[data-placeholder="status_page"] .gap-row')).to_have_text(
        ["English · SMS: 3 people", "Français · SMS: 2 people"]
    )
    expect(gaps.locator('tr[data-placeholder="account"] .gap-row')).to_have_text(["Français · SMS: 1 person"])
    page.get_by_label("Yes, send to 5 people (5 messages)").check()
    page.get_by_role("button", name="Send to 5 people").click()
    expect(page.locator("#accept-empty .invalid-feedback")).to_contain_text("Fill in the empty values")
    assert not Send.objects.exists()
    # Fill the shared value where the list says; only the client field is left, then accepted with a tick.
    gaps.get_by_role("link", name="Fill it in").click()
    page.wait_for_url(re.compile(r"/wizard/message/#values$"))
    page.get_by_label("Status page address ({{ status_page }})").fill("https://status.example.com")
    page.get_by_role("button", name="Save and continue").click()
    page.goto(f"{live_server.url}/campaigns/{draft.pk}/wizard/send/")
    expect(gaps.locator("tr[data-placeholder]")).to_have_count(1)
    page.get_by_label("Yes, send to 5 people (5 messages)").check()
    page.get_by_label(re.compile("Send anyway")).check()
    page.get_by_role("button", name="Send to 5 people").click()
    page.wait_for_url(re.compile(rf"/campaigns/{draft.pk}/$"))
    event = CampaignEvent.objects.get(campaign=draft, action="empty_accepted")
    assert event.actor == ops and "{{ account }} (fr sms 1)" in event.detail
    expect(page.locator("#audit li[data-action=empty_accepted]")).to_contain_text("Sent with empty placeholders")


def test_an_error_goes_away_as_soon_as_the_field_is_fixed(page, live_server, portal):
    """Issue 13 item 2: errors shown after a submit disappear while typing the fix; the server judges again."""
    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/new/")
    page.get_by_role("button", name="Save and continue").click()
    services = page.locator("#div_id_services")
    expect(services.locator(".invalid-feedback")).to_be_visible()
    expect(page.locator("#id_title")).to_have_class(re.compile("is-invalid"))
    page.get_by_label("What happened?").fill("Voice down")
    expect(page.locator("#id_title")).not_to_have_class(re.compile("is-invalid"))
    expect(services.locator(".invalid-feedback")).to_be_visible()
    page.get_by_label("Other affected services").fill("Voice API")
    expect(services.locator(".invalid-feedback")).to_be_hidden()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/audience/")


@pytest.mark.worker
@pytest.mark.postgres
@pytest.mark.redis
def test_send_resolved_in_three_interactions_and_what_went_out(
    page, live_server, portal, celery_worker_process, infobip_sandbox, capsys
):
    """Items 3 and 5: the first notice's page shows what went out; "Send resolved" opens ready, in its languages,
    to the same people on the same channels, and goes out in three interactions."""
    ops = UserFactory(username="olivia")
    script = "<script>document.body.setAttribute('data-ran', '1')</script>"  # an author's script must never run
    TemplateVersion.objects.filter(language="en", template__kind="outage").update(
        email_html=TEXTS["en"]["html"] + script
    )
    first = first_notice(portal, ops)
    wait_delivered(first, 10, celery_worker_process)
    ClientFactory.create_batch(2, language="fr")  # newcomers do not hear "resolved"
    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/{first.pk}/")

    # Item 5: the text as sent, one language and channel at a time; the email runs nothing in its frame.
    went_out = page.locator("#sent-texts")
    expect(went_out.locator("[data-tab]")).to_have_text(
        ["English · SMS", "English · Email", "Français · SMS", "Français · Email"]
    )
    went_out.get_by_role("tab", name="Français · SMS").click()
    expect(went_out.locator('[data-tab-pane="fr-sms"] .sent-body')).to_contain_text(": panne sur SMS service")
    went_out.get_by_role("tab", name="English · Email").click()
    frame = page.frame_locator('[data-tab-pane="en-email"] iframe[sandbox=""]')
    expect(frame.locator("b")).to_have_text(re.compile(r"Client EN \d"))
    assert frame.locator("body[data-ran]").count() == 0, "a script ran in the email's frame"
    page.get_by_role("link", name="Recipients").click()
    delivered = page.locator("#recipients tbody tr").first
    expect(delivered.locator(".provider-status")).to_have_text("DELIVERED_TO_HANDSET")
    expect(delivered.locator(".error")).to_have_text("–")
    delivered.locator(".message-excerpt a").click()
    expect(page.locator("#message-text .full-text")).to_contain_text("Expected fix 14:00.")

    # Item 3: two clicks and a tick.
    page.goto(f"{live_server.url}/campaigns/{first.pk}/")
    walk = Walk(page)
    walk.click(page.get_by_role("button", name="Send resolved"), "Send resolved")
    page.wait_for_url("**/wizard/send/")
    expect(page.locator("[data-tabs] [data-tab]")).to_have_text(
        ["English · SMS", "English · Email", "Français · SMS", "Français · Email"]
    )
    expect(page.locator('[data-tab-pane="en-sms"] .sms-preview').first).to_contain_text("works again")
    expect(page.locator("#send-count")).to_have_text("5")
    walk.tick(page.get_by_label("Yes, send to 5 people (10 messages)"), "the confirmation")
    walk.click(page.get_by_role("button", name="Send to 5 people"), "Send")
    page.wait_for_url(re.compile(r"/campaigns/\d+/$"))
    resolved = Campaign.objects.get(parent=first)
    wait_delivered(resolved, 10, celery_worker_process)
    assert campaign_recipient_client_ids(resolved) == campaign_recipient_client_ids(first)
    assert resolved.channels == ["sms", "email"] and set(resolved.content) == {"en", "fr"}
    assert walk.interactions == 3
    with capsys.disabled():
        sys.stdout.write(f"\n[issue 13 send resolved] {walk.summary()}\n")


def test_choosing_another_template_applies_it_at_once_and_asks_before_replacing_edits(page, live_server, portal):
    """Issue 13 item 2: a template chosen in the list is applied without another click; once the text was changed,
    the portal asks first, and saying no keeps the text and the template it came from."""
    template(
        "Outage: short", "outage", {"en": {"sms": "[short] {{ service }}", "subject": "S", "text": "T", "html": ""}}
    )
    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/new/")
    page.get_by_label("What happened?").fill("Portal slow")
    page.get_by_label("Email service", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Paris region").check()
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/wizard/message/")
    expect(page.locator("#id_en_sms_text")).to_have_value(TEXTS["en"]["sms"])
    page.get_by_label("Start from a saved template").select_option(label="Outage: short")
    expect(page.locator("#id_en_sms_text")).to_have_value("[short] {{ service }}")  # applied, no button pressed
    page.locator("#id_en_sms_text").fill("My own words about {{ service }}")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.get_by_label("Start from a saved template").select_option(label="Outage: service down")
    expect(page.get_by_label("Start from a saved template")).to_have_value(str(Campaign.objects.get().template_id))
    assert asked and "Replace the text you wrote" in asked[0]
    expect(page.locator("#id_en_sms_text")).to_have_value("My own words about {{ service }}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_label("Start from a saved template").select_option(label="Outage: service down")
    expect(page.locator("#id_en_sms_text")).to_have_value(TEXTS["en"]["sms"])

"""In Chromium, with a real Celery worker and the Infobip sandbox: live progress, failures and retry, pause and
resume, and a resolved follow-up that reaches exactly the first notice's recipients."""

from __future__ import annotations

import re
import time

import pytest
from django.db.models import Count
from playwright.sync_api import expect

from campaigns.models import Campaign, Incident, IncidentKind
from campaigns.selectors.messages import campaign_recipient_client_ids
from campaigns.selectors.state import campaign_main_send
from campaigns.services.door import campaign_confirm
from campaigns.services.drafts import campaign_draft_create
from clients.models import Client
from notifications.models import Message
from tests.conftest import browser_login
from tests.factories import ClientFactory, UserFactory, ensure_staff_groups

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(240),
]

S = Message.State
CONTENT = {"en": {"sms": {"text": "{{ incident_title }}: we are on it. Next update within the hour."}}}


def start_notice(
    *,
    ops,
    clients: list[Client],
    kind: str = IncidentKind.OUTAGE,
    incident: Incident | None = None,
    parent: Campaign | None = None,
    draft: Campaign | None = None,
) -> Campaign:
    """Draft a notice to exactly these clients by SMS and confirm it, as the outage form's last step does."""
    if draft is None:
        draft = campaign_draft_create(
            incident=incident,
            incident_fields={"title": "Fibre cut, Lyon north"},
            kind=kind,
            title="Fibre cut, Lyon north",
            channels=["sms"],
            audience={"clients": [c.pk for c in clients]},
            created_by=ops,
        )
    draft.content = CONTENT
    draft.parent = parent or draft.parent
    draft.save(update_fields=["content", "parent"])
    return campaign_confirm(campaign=draft, actor=ops)


def wait_settled(campaign: Campaign, worker, timeout: float = 90) -> dict[str, int]:
    """Wait until the notice's messages are all final (reports included)."""
    deadline = time.monotonic() + timeout
    while True:
        send = campaign_main_send(campaign)
        counts = dict(Message.objects.filter(send=send).values_list("state").annotate(n=Count("pk")).order_by())
        if counts and not any(counts.get(s) for s in (S.PENDING, S.SENDING, S.ACCEPTED)):
            return counts
        if time.monotonic() > deadline:
            pytest.fail(f"not settled in {timeout}s: {counts}\n{worker.log_tail()}")
        time.sleep(0.3)


@pytest.fixture
def ops(transactional_db):
    """An Ops user; the staff groups are made again first, since transactional tests flush them."""
    ensure_staff_groups()
    return UserFactory(username="olivia", groups=["Ops"])


def test_live_progress_reaches_100_percent(page, live_server, celery_worker_process, infobip_sandbox, ops):
    """The campaign page's bar fills while the worker sends, reaches 100% and stops polling; the chart has data."""
    clients = ClientFactory.create_batch(40)
    campaign = start_notice(ops=ops, clients=clients)
    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    progress = page.locator("#progress")
    expect(progress).to_have_attribute("data-complete", "true", timeout=90_000)
    expect(page.locator("#progress-percent")).to_have_text("100.0%")
    expect(page.locator("#state-counts tr[data-state=delivered] td").last).to_have_text("40")
    expect(progress).not_to_have_attribute("hx-trigger", re.compile(".+"))
    expect(page.locator("#timeline-chart")).to_have_attribute("data-complete", "true", timeout=10_000)
    assert int(page.locator("#timeline-chart").get_attribute("data-points")) >= 1
    expect(page.locator("#audit li[data-action=sent]")).to_be_visible()


def test_failures_after_sandbox_refusals_and_retry(page, live_server, celery_worker_process, infobip_sandbox, ops):
    """Numbers ending 666/777 show as undeliverable/rejected; a retry resends only the chosen failures."""
    good = ClientFactory.create_batch(6)
    bounced = [ClientFactory(phone=f"+3361234{i}666") for i in range(2)]
    refused = [ClientFactory(phone="+33612340777")]
    campaign = start_notice(ops=ops, clients=good + bounced + refused)
    counts = wait_settled(campaign, celery_worker_process)
    assert counts == {S.DELIVERED: 6, S.UNDELIVERABLE: 2, S.REJECTED: 1}
    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/failures/")
    expect(page.locator("#failure-groups tr[data-state=undeliverable] .group-count")).to_have_text("2")
    expect(page.locator("#failure-groups tr[data-state=rejected] .group-count")).to_have_text("1")
    send = campaign_main_send(campaign)
    delivered_ids = set(send.messages.filter(state=S.DELIVERED).values_list("pk", flat=True))
    page.check("#include-undeliverable")
    page.get_by_role("button", name="Retry the ticked messages").click()
    expect(page.locator(".alert-success")).to_contain_text("2 message(s) queued again.")
    counts = wait_settled(campaign, celery_worker_process)
    assert counts == {S.DELIVERED: 6, S.UNDELIVERABLE: 2, S.REJECTED: 1}
    accepted = infobip_sandbox.stats(ids=True)["ids"]
    retried = {f"op-{pk}" for pk in send.messages.filter(state=S.UNDELIVERABLE).values_list("pk", flat=True)}
    assert {accepted[i] for i in retried} == {2}, "the undeliverable ones were sent a second time"
    assert {accepted[f"op-{pk}"] for pk in delivered_ids} == {1}, "delivered messages were never resent"
    expect(page.locator("#failure-groups tr[data-state=rejected] .group-count")).to_have_text("1")


def test_pause_and_resume(page, live_server, celery_worker_factory, infobip_sandbox, ops):
    """Pause stops new messages going out; Resume carries on to the end without resending any."""
    worker = celery_worker_factory(DISPATCH_SMS_RATE_PER_SECOND="4", DISPATCH_BATCH_SIZE="4")
    clients = ClientFactory.create_batch(60)
    campaign = start_notice(ops=ops, clients=clients)
    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/{campaign.pk}/")
    send = campaign_main_send(campaign)
    deadline = time.monotonic() + 60
    while not send.messages.filter(state__in=(S.ACCEPTED, S.DELIVERED)).exists():
        assert time.monotonic() < deadline, worker.log_tail()
        time.sleep(0.2)
    page.locator("#actions").get_by_role("button", name="Pause").click()
    expect(page.locator("h1 [data-state]")).to_have_attribute("data-state", "paused")
    expect(page.locator("#actions").get_by_role("button", name="Resume")).to_be_visible()
    # Batches claimed before the pause finish (or go back to pending); on a loaded machine that can take a while.
    deadline = time.monotonic() + 60
    while send.messages.filter(state=S.SENDING).exists():
        assert time.monotonic() < deadline, f"a claimed batch never settled after the pause\n{worker.log_tail()}"
        time.sleep(0.2)
    time.sleep(1)  # a request answered just now is stored by the sandbox
    sent_at_pause = len(infobip_sandbox.stats(ids=True)["ids"])
    time.sleep(3)
    assert len(infobip_sandbox.stats(ids=True)["ids"]) == sent_at_pause < 60
    assert send.messages.filter(state=S.PENDING).exists()
    page.locator("#actions").get_by_role("button", name="Resume").click()
    expect(page.locator("#progress")).to_have_attribute("data-complete", "true", timeout=90_000)
    expect(page.locator("#progress-percent")).to_have_text("100.0%")
    ids = infobip_sandbox.stats(ids=True)["ids"]
    assert len(ids) == 60 and set(ids.values()) == {1}
    actions = list(campaign.events.values_list("action", flat=True))
    assert actions.index("paused") < actions.index("resumed")


def test_resolved_follow_up_reaches_exactly_the_first_recipients(
    page, live_server, celery_worker_process, infobip_sandbox, ops
):
    """'Send resolved' opens the outage form on a draft whose send reaches exactly the first notice's recipients."""
    reached = ClientFactory.create_batch(5)
    unreachable = ClientFactory(phone="")
    first = start_notice(ops=ops, clients=reached + [unreachable])
    wait_settled(first, celery_worker_process)
    ClientFactory.create_batch(3)  # newcomers after the first notice must not hear that it is resolved
    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/{first.pk}/")
    page.get_by_role("button", name="Send resolved").click()
    page.wait_for_url(re.compile(r"/campaigns/\d+/wizard/"))
    draft = Campaign.objects.get(parent=first)
    assert f"/campaigns/{draft.pk}/wizard/" in page.url
    assert draft.kind == IncidentKind.RESOLVED and draft.incident_id == first.incident_id
    start_notice(ops=ops, clients=[], draft=draft)
    wait_settled(draft, celery_worker_process)
    expected = sorted(c.pk for c in reached)
    assert campaign_recipient_client_ids(first) == expected
    assert campaign_recipient_client_ids(draft) == expected
    page.goto(f"{live_server.url}/campaigns/incidents/{first.incident_id}/")
    expect(page.locator(f"#timeline li[data-campaign='{first.pk}']")).to_be_visible()
    expect(page.locator(f"#timeline li[data-campaign='{draft.pk}'] .delivery-summary")).to_contain_text("5 delivered")
    expect(page.locator("#incident-status")).to_have_text("Resolved")

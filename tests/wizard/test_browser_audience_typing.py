"""The Audience step's live counts follow a condition as it is typed (keyup), not only when the field is left: the
trigger's ``from:`` selector has a space, which htmx 2 reads only in parentheses (it once logged
``htmx:syntax:error`` and dropped the keyup trigger)."""

from __future__ import annotations

import pytest

from campaigns.services.drafts import campaign_draft_create
from tests.conftest import browser_login
from tests.factories import ClientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_a_condition_value_refreshes_the_counts_without_console_errors(page, live_server):
    ops = UserFactory(username="olivia", groups=["Ops"])
    ClientFactory.create_batch(3, region="North")
    draft = campaign_draft_create(
        incident_fields={"title": "Fibre cut", "services": ["SMS service"]},
        kind="outage",
        title="Fibre cut",
        channels=["sms"],
        created_by=ops,
    )
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    browser_login(page, live_server, "olivia")
    page.goto(f"{live_server.url}/campaigns/{draft.pk}/wizard/audience/")
    page.get_by_text("Narrow with conditions").click()
    value = page.locator(".condition-row input[type=text], .condition-row input:not([type])").first
    with page.expect_request(lambda request: "/counts" in request.url and request.method == "POST", timeout=15_000):
        value.press_sequentially("Nor")  # typing alone, the field keeps the focus: only keyup can ask for counts
    assert not [text for text in errors if "htmx" in text], errors

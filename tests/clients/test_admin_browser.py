"""Issue 13 item 11, the registry in a real browser: it says "Outage Portal", its client list fits a 1366 px
screen beside the filters, and its labels are capitalised like the rest of the portal."""

from __future__ import annotations

import os

import pytest
from django.urls import reverse

from clients.attribute_keys import attribute_keys_forget
from tests.factories import BucketFactory, ClientFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("ADMIN_SCREENSHOTS", "")


def admin_login(page, live_server) -> None:
    UserFactory(username="registry-admin", groups=["Admins"], is_staff=True)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "registry-admin")
    page.fill("input[name=password]", "pass-Word-123")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_client_list_fits_1366_px_and_says_outage_portal(chromium, live_server):
    """At 1366 × 768 the client list has no horizontal scroll bar, even with long names and addresses; the page
    title and header name the portal."""
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        bucket = BucketFactory(name="North")
        for n in range(12):
            client = ClientFactory(
                name=f"Jean-Baptiste Delacroix-Montgolfier {n}",
                account="Société Générale des Télécommunications du Nord",
                email=f"jean-baptiste.delacroix-montgolfier.{n}@entreprise-exemple.example.com",
                email_consent=n % 3 != 0,
            )
            client.buckets.add(bucket)
        admin_login(page, live_server)
        assert "Django" not in page.title() and "Outage Portal" in page.title()
        assert page.locator("#site-name").inner_text().startswith("Outage Portal")
        page.goto(live_server.url + reverse("admin:clients_client_changelist"))
        if SHOTS:
            page.screenshot(path=f"{SHOTS}/admin-client-list-1366.png", full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the client list is {overflow} px wider than the window"
        clipped = page.evaluate(
            "(() => { const r = document.querySelector('#changelist .results');"
            " return r.scrollWidth - r.clientWidth; })()"
        )
        assert clipped <= 0, f"the table is {clipped} px wider than its box (it scrolls sideways)"
        assert page.locator("#changelist-filter").is_visible()
        headers = page.locator("#result_list thead th").all_inner_texts()
        assert all(text.strip()[:1].isupper() for text in headers if text.strip()), headers
    finally:
        context.close()


def test_client_form_labels_are_capitalised(page, live_server):
    client = ClientFactory()
    admin_login(page, live_server)
    page.goto(live_server.url + reverse("admin:clients_client_change", args=[client.pk]))
    labels = [text.strip().rstrip(":") for text in page.locator("fieldset label").all_inner_texts() if text.strip()]
    assert labels and all(label[:1].isupper() for label in labels), [text for text in labels if not text[:1].isupper()]
    assert "Time zone" in labels


def test_segment_is_built_and_edited_with_the_condition_builder(page, live_server):
    """A new segment: tick SMS clients, add two condition rows with the builder (one a relative date), save; the
    stored definition is the audience language. Reopened, the rows are there to edit; no JSON box anywhere."""
    ClientFactory(attributes={"last_visit": "2020-01-01", "site": "Lyon"})
    attribute_keys_forget()  # names are cached for five minutes; this test's clients are new
    admin_login(page, live_server)
    page.goto(live_server.url + reverse("admin:clients_segment_add"))
    assert page.locator("textarea[name=definition]").count() == 0
    page.fill("input[name=name]", "Dormant SMS clients")
    page.check("input[name=builtin][value=sms_clients]")
    page.fill("input[name='cond-0-field']", "attributes.last_visit")
    page.select_option("select[name='cond-0-op']", "older_than")
    page.fill("input[name='cond-0-value']", "6 months")
    page.click("button.js-add-condition")
    page.fill("input[name='cond-1-field']", "region")
    page.select_option("select[name='cond-1-op']", "is")
    page.fill("input[name='cond-1-value']", "North")
    options = page.eval_on_selector_all("#condition-fields option", "els => els.map(e => e.value)")
    assert "attributes.last_visit" in options and "attributes.site" in options
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/admin-segment-builder.png", full_page=True)
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    from clients.models import Segment

    segment = Segment.objects.get(name="Dormant SMS clients")
    assert segment.definition == {
        "builtin": ["sms_clients"],
        "match": "all",
        "conditions": [
            {"field": "attributes.last_visit", "op": "older_than", "value": "6 months"},
            {"field": "region", "op": "is", "value": "North"},
        ],
    }
    assert page.input_value("input[name='cond-0-value']") == "6 months"
    assert page.input_value("input[name='cond-1-field']") == "region"
    page.fill("input[name='cond-0-value']", "1 year")
    page.check("input[name='cond-1-DELETE']")
    page.click("input[name=_continue]")
    page.wait_for_selector(".messagelist .success")
    segment.refresh_from_db()
    assert segment.definition["conditions"] == [
        {"field": "attributes.last_visit", "op": "older_than", "value": "1 year"}
    ]

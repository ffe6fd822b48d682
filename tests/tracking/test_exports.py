"""Recipient and failure exports stream CSV and defuse spreadsheet formulas."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from campaigns.views.exports import safe_cell
from notifications.models import Message, Send
from tests.factories import ClientFactory, UserFactory
from tests.tracking.factories import add_messages, campaign_with_send

pytestmark = pytest.mark.django_db

S = Message.State


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    text = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33612345678", "'+33612345678"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Jeanne", "Jeanne"),
        (None, ""),
        (3, "3"),
    ],
)
def test_safe_cell_prefixes_formula_starts(value, expected):
    """Cells starting with = + - @ tab or CR get a leading apostrophe; others are left alone."""
    assert safe_cell(value) == expected


def test_recipients_export_streams_every_row_with_formulas_defused(client):
    """The recipients CSV streams one row per message and neutralises a malicious client name."""
    client.force_login(UserFactory(username="olivia", groups=["Ops"]))
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    evil = ClientFactory(name='=HYPERLINK("http://evil.example","click")', phone="+33612345678")
    add_messages(send, {S.DELIVERED: 1}, clients=[evil])
    add_messages(send, {S.DELIVERED: 2, S.SKIPPED: 1})
    response = client.get(reverse("campaigns:export_recipients", args=[campaign.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][:3] == ["message", "client_ref", "client_name"]
    assert len(rows) == 1 + 4
    evil_row = next(row for row in rows if "HYPERLINK" in row[2])
    assert evil_row[2].startswith("'=") and evil_row[5] == "'+33612345678"


def test_failures_export_lists_only_failures_with_phone(client):
    """The failures CSV holds undelivered and failed messages with the client's phone for follow-up."""
    client.force_login(UserFactory(username="olivia", groups=["Ops"]))
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    failed = add_messages(send, {S.UNDELIVERABLE: 1, S.REJECTED: 1, S.FAILED: 1})
    add_messages(send, {S.DELIVERED: 3})
    rows = read_csv(client.get(reverse("campaigns:export_failures", args=[campaign.pk])))
    assert rows[0][3] == "phone"
    assert sorted(row[0] for row in rows[1:]) == sorted(m.client.external_ref for m in failed)
    assert {row[7] for row in rows[1:]} == {"undeliverable", "rejected", "failed"}


def test_viewer_export_masks_destinations(client):
    """A viewer's export shows masked phone numbers and emails only."""
    client.force_login(UserFactory(username="victor", groups=["Viewers"]))
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    person = ClientFactory(phone="+33612345678", email="jeanne@example.com")
    add_messages(send, {S.UNDELIVERABLE: 1}, clients=[person])
    rows = read_csv(client.get(reverse("campaigns:export_failures", args=[campaign.pk])))
    body = "\n".join(",".join(row) for row in rows)
    assert "+33••••••78" in body and "j•••@example.com" in body
    assert "612345678" not in body and "jeanne@" not in body

"""No CSV cell the portal exports runs as a formula in a spreadsheet: one guard for every export.

Missed before (issue 12): cells starting with NUL or a fullwidth ``＝`` (and the other look-alikes of = + - @), and
cells containing ``;=`` (split off as a new cell by a spreadsheet opening the file with ``;`` as separator).
"""

from __future__ import annotations

import csv
import io
import unicodedata

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.importing import clients_import_csv
from clients.importing.export import clients_csv_rows
from clients.models import Client
from clients.spreadsheet import cell_safe, cell_unguard, csv_writer
from notifications.models import Send
from tests.factories import ClientFactory, UserFactory
from tests.tracking.factories import add_messages, campaign_with_send

DANGEROUS_START = [
    "=1+1",
    "+33612345678",
    "-2+3",
    "@SUM(A1)",
    "\x00=cmd|' /C calc'!A0",
    "\x00",
    '＝HYPERLINK("http://x")',
    "﹦1+1",
    "⁼1",
    "＋1",
    "－1",
    "−1",
    "＠SUM(1)",
    "  =1",
    "\u200b=1",
    "\ufeff=1",
]
DANGEROUS_INSIDE = [
    ("foo;=cmd|' /C calc'!A0", "foo;'=cmd|' /C calc'!A0"),
    ("foo,=1+1", "foo,'=1+1"),
    ("foo ;  @SUM(1)", "foo ;'  @SUM(1)"),
    ("a\t=1", "a\t'=1"),
    ("x;＝1", "x;'＝1"),
    ("note\n=1+1", "note\n'=1+1"),
    ("=1;=2", "'=1;'=2"),
    ("\t=1", "'\t'=1"),
    ("\r=1", "'\r'=1"),
]


@pytest.mark.parametrize("value", DANGEROUS_START)
def test_every_formula_disguise_at_the_start_is_guarded(value: str) -> None:
    assert cell_safe(value) == "'" + value
    assert cell_unguard(cell_safe(value)) == value


@pytest.mark.parametrize(("value", "guarded"), DANGEROUS_INSIDE)
def test_a_formula_after_a_separator_inside_the_cell_is_guarded_there(value: str, guarded: str) -> None:
    """A spreadsheet reading ';' (or ',' or tab) as separator starts a cell there: the guard goes there too."""
    assert cell_safe(value) == guarded
    assert cell_unguard(guarded) == value


@pytest.mark.parametrize("value", ["Ann", "1-2", "a;b", "x@example.com", "'quoted", "", "Zoë – CEO", "50%"])
def test_plain_text_is_left_alone(value: str) -> None:
    assert cell_safe(value) == value


TRIGGERS = "=+-@"


def _formula_in_some_spreadsheet(cell: str) -> bool:
    """An independent reading of the rule: after what spreadsheets skip, a (normalised) =, +, - or @."""
    if cell.startswith("'"):
        return False
    for char in cell:
        if char.isspace() or unicodedata.category(char)[0] in "CZ":
            continue
        normal = unicodedata.normalize("NFKC", char)
        return normal[:1] in TRIGGERS or unicodedata.category(char) == "Pd" or char == "\u2212"
    return False


cells = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.lists(
    st.sampled_from(["=", "+", "-", "@", "＝", "－", ";", ",", "\t", " ", "\x00", "'", "a", "1", "\u200b"]), max_size=12
).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.lists(cells, min_size=1, max_size=5))
def test_written_rows_read_back_safe_with_either_separator(row: list[str]) -> None:
    """Whatever the cells: the guard undoes exactly, and the written line, read with ',' or ';' as separator (as
    Excel does in different locales), gives no field that a spreadsheet would run."""
    guarded = [cell_safe(value) for value in row]
    assert [cell_unguard(cell) for cell in guarded] == row
    out = io.StringIO()
    csv_writer(out).writerow(guarded)
    for delimiter in (",", ";"):
        for fields in csv.reader(io.StringIO(out.getvalue(), newline=""), delimiter=delimiter):
            assert not any(_formula_in_some_spreadsheet(field) for field in fields), (row, fields)


@pytest.mark.django_db
def test_the_client_export_guards_and_imports_back() -> None:
    for index, name in enumerate(['＝HYPERLINK("x")', "foo;=1+1", "Ann", "−1"]):
        ClientFactory(external_ref=f"X-{index}", name=name, account="@evil" if index == 0 else "")
    before = list(Client.objects.order_by("external_ref").values_list("external_ref", "name", "account"))
    body = "".join(clients_csv_rows(Client.objects.all()))
    assert '"\'＝HYPERLINK(""x"")"' in body and '"foo;\'=1+1"' in body and '"\'−1"' in body
    Client.objects.all().delete()
    report = clients_import_csv(data=body.encode(), filename="back.csv")
    assert report.error_count == 0, report.errors
    assert list(Client.objects.order_by("external_ref").values_list("external_ref", "name", "account")) == before


@pytest.mark.django_db
def test_the_notice_exports_use_the_same_guard(client) -> None:
    """The recipients and failures CSVs of a notice guard the same cells, with the same function."""
    from campaigns.views import exports

    assert exports.safe_cell is cell_safe
    client.force_login(UserFactory(username="olivia", groups=["Ops"]))
    campaign, send = campaign_with_send(send_state=Send.State.COMPLETED)
    person = ClientFactory(name="＝1+1", account="x;=cmd")
    add_messages(send, {"undeliverable": 1}, clients=[person])
    for name in ("campaigns:export_failures", "campaigns:export_recipients"):
        body = b"".join(client.get(reverse(name, args=[campaign.pk])).streaming_content).decode()
        assert '"\'＝1+1"' in body and '"x;\'=cmd"' in body

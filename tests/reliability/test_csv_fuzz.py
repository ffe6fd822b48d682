"""Fuzzed client CSV imports: bad encodings, random bytes, huge fields, formula cells, missing columns, odd
separators. A file the importer cannot read is refused whole with a reason (nothing written); a readable file
imports its good rows and names every bad row by line; the export never starts a cell with a formula character.
"""

from __future__ import annotations

import csv
import io
import string

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.importing import clients_import_csv
from clients.importing.export import clients_csv_rows
from clients.models import Bucket, BucketMembership, Client, ConsentEvent

pytestmark = [pytest.mark.reliability, pytest.mark.postgres, pytest.mark.django_db]
HEADER = ["external_ref", "name", "email", "phone", "buckets", "tags", "sms_consent"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)


def _footprint() -> tuple[int, ...]:
    """Row counts of everything an import may write."""
    return (
        Client.objects.count(),
        ConsentEvent.objects.count(),
        Bucket.objects.count(),
        BucketMembership.objects.count(),
    )


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue()


names = st.text(alphabet=string.ascii_letters + " éèàüß'", min_size=1, max_size=30).filter(str.strip)
formulas = st.sampled_from(["=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(1)", "=cmd|' /C calc'!A0", "\t=1", '=HYPERLINK("x")'])
good_text = names.map(lambda name: f"{name} é")  # always one non-ASCII letter


def _good_rows(count: int, prefix: str) -> list[list[str]]:
    return [
        [f"{prefix}-{i}", f"Client {i} é", f"c{i}@example.com", f"+33612{i:06d}", "North", "vip", "yes"]
        for i in range(count)
    ]


unusable_files = st.one_of(
    # Latin-1 and UTF-16 (what spreadsheets write when asked for "CSV" in the wrong way).
    st.tuples(st.just("latin-1"), good_text).map(
        lambda t: _csv([HEADER, ["L-1", t[1], "", "", "", "", ""]]).encode("latin-1")
    ),
    st.tuples(st.just("utf-16"), good_text).map(
        lambda t: _csv([HEADER, ["U-1", t[1], "", "", "", "", ""]]).encode(t[0])
    ),
    # A required column missing, or a column nobody knows.
    st.sampled_from([["external_ref", "email"], ["name", "phone"], ["email", "phone"], ["external_ref", "nmae"]]).map(
        lambda header: _csv([header, ["X-1", "x"]]).encode()
    ),
    # Separators the importer does not guess: the header reads as one unknown column.
    st.sampled_from(["\t", "|", ":", " "]).map(lambda sep: _csv([HEADER, *_good_rows(3, "S")], sep).encode()),
    # A field over the CSV reader's limit (131,072 characters).
    st.integers(140_000, 300_000).map(lambda n: _csv([HEADER, *_good_rows(2, "H"), ["H-x", "x" * n]]).encode()),
    st.sampled_from([b"", b"\n\n", b"\xef\xbb\xbf", b"\x00\x00\x00", b",,,\n"]),
)


@FUZZ
@given(data=unusable_files)
def test_unusable_files_are_refused_whole(data):
    """A file in the wrong encoding, with missing or unknown columns, odd separators or a giant field writes 0 rows."""
    before = _footprint()
    report = clients_import_csv(data=data, filename="fuzz.csv")
    assert not report.usable, report.summary()
    assert report.fatal and "not imported" in report.summary()
    assert report.good_rows == 0
    assert _footprint() == before


@FUZZ
@given(data=st.binary(max_size=400))
def test_random_bytes_never_crash_and_never_half_write(data):
    """Random bytes: either refused whole, or every row imported or named as an error by its line."""
    before = _footprint()
    report = clients_import_csv(data=data, filename="random.bin")
    if not report.usable:
        assert _footprint() == before
    else:
        assert Client.objects.count() - before[0] == report.created
        assert all(problem.line >= 2 and problem.reason for problem in report.errors)


def _bad_row(kind: int, index: int, huge: int) -> list[str]:
    ref = f"BAD-{index}"
    return [
        [ref, "x" * (200 + huge), "", "", "", "", ""],  # name too long
        [ref, "Bad email", "not-an-address", "", "", "", ""],
        [ref, "Bad phone", "", "12", "", "", ""],
        ["", "No reference", "", "", "", "", ""],
        [ref, "", "", "", "", "", ""],  # no name
        [ref, "Bad flag", "", "", "", "", "perhaps"],
        [ref, "Too many cells", "", "", "", "", "", "extra"],
        [ref, "Long bucket", "", "", "b" * 101, "", ""],
    ][kind]


rows = st.lists(
    st.one_of(
        st.tuples(st.just("good"), names, st.one_of(st.none(), formulas)),
        st.tuples(st.just("bad"), st.integers(0, 7), st.integers(1, 5000)),
    ),
    min_size=1,
    max_size=25,
)


@FUZZ
@given(plan=rows)
def test_bad_rows_are_named_good_rows_imported_and_export_is_formula_safe(plan):
    """Each bad row is reported by its line; exactly the good rows are written; exported cells carry no formula."""
    Client.objects.all().delete()
    lines, good_refs, bad_lines = [HEADER], [], []
    for index, item in enumerate(plan):
        if item[0] == "good":
            name = item[2] or item[1].strip()
            ref = f"G-{index}"
            lines.append([ref, name, f"g{index}@example.com", f"+33611{index:06d}", "Fuzz", item[2] or "", "no"])
            good_refs.append(ref)
        else:
            lines.append(_bad_row(item[1], index, item[2]))
            bad_lines.append(index + 2)
    report = clients_import_csv(data=_csv(lines).encode(), filename="rows.csv")
    assert report.usable, report.fatal
    assert sorted(problem.line for problem in report.errors) == bad_lines
    assert all(problem.reason for problem in report.errors)
    assert report.created == len(good_refs)
    assert sorted(Client.objects.values_list("external_ref", flat=True)) == sorted(good_refs)
    assert ConsentEvent.objects.filter(client__external_ref__in=good_refs).count() == len(good_refs)

    exported = list(csv.reader(io.StringIO("".join(clients_csv_rows(Client.objects.all())).lstrip("\ufeff"))))
    assert len(exported) == len(good_refs) + 1
    for row in exported:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), f"formula cell in the export: {cell!r}"
    # The export imports back without a change (the formula guard is undone on the way in).
    again = clients_import_csv(data="".join(clients_csv_rows(Client.objects.all())).encode(), filename="back.csv")
    assert (again.created, again.updated, again.errors) == (0, 0, [])


@FUZZ
@given(data=st.one_of(unusable_files, st.binary(max_size=300)))
def test_admin_import_page_never_fails(admin_client, settings, tmp_path, data):
    """Uploading any of these files to the admin's import page answers 200 with a message, never a 5xx."""
    settings.VAR_DIR = tmp_path
    before = _footprint()
    upload = io.BytesIO(data)
    upload.name = "upload.csv"
    response = admin_client.post(reverse("admin:clients_client_import"), {"file": upload})
    assert response.status_code == 200
    assert _footprint() == before

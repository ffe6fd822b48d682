"""The clients CSV import: good and bad rows, encodings and separators, dry runs, upserts, consent, atomicity."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clients.importing import clients_import_csv, copy_write, csv_import  # noqa: F401
from clients.models import Bucket, BucketMembership, Client, ConsentEvent
from tests.factories import BucketFactory, ClientFactory

pytestmark = pytest.mark.django_db

HEADER = "external_ref,name,email,phone,language,services,buckets,account,region,network,plan,tags,active,sms_consent"
GOOD = [
    "C-1,Ann Smith,ann@Example.COM,06 12 34 56 78,fr,sms+email,North|Key accounts,Acme,North,Orange,business,vip|gold,yes,",
    "C-2,Bob Martin,bob@example.com,+33 6 10 00 06 66,en,email,North,,South,SFR,home,,no,no",
]


def run(
    lines: list[str], *, header: str = HEADER, dry_run: bool = False, name: str = "clients.csv", encoding: str = "utf-8"
):
    data = ("\n".join([header, *lines]) + "\n").encode(encoding)
    return clients_import_csv(data=data, filename=name, dry_run=dry_run)


def test_good_rows_create_clients_with_every_column():
    """Every documented column lands on the client; phones become E.164, buckets are created, tags split."""
    report = run(GOOD)
    assert (report.created, report.updated, report.unchanged, report.errors) == (2, 0, 0, [])
    ann = Client.objects.get(external_ref="C-1")
    assert ann.phone == "+33612345678"
    assert ann.email == "ann@example.com"
    assert (ann.language, ann.uses_sms_service, ann.uses_email_service) == ("fr", True, True)
    assert (ann.account, ann.region, ann.network, ann.plan) == ("Acme", "North", "Orange", "business")
    assert ann.tags == ["vip", "gold"]
    assert ann.is_active and ann.sms_consent
    assert sorted(ann.buckets.values_list("name", flat=True)) == ["Key accounts", "North"]
    bob = Client.objects.get(external_ref="C-2")
    assert (bob.phone, bob.uses_sms_service, bob.uses_email_service, bob.is_active) == (
        "+33610000666",
        False,
        True,
        False,
    )
    assert sorted(report.buckets_created) == ["Key accounts", "North"]
    assert Bucket.objects.get(name="North").clients.count() == 2


def test_bom_and_semicolons():
    """A UTF-8 file with a byte order mark and ';' separators (Excel in French) imports the same."""
    data = "\ufeff" + "\n".join(line.replace(",", ";") for line in [HEADER, *GOOD]) + "\n"
    report = clients_import_csv(data=data.encode("utf-8"), filename="excel.csv")
    assert report.created == 2 and not report.errors
    assert Client.objects.get(external_ref="C-1").name == "Ann Smith"


def test_quoted_cells_and_accents():
    """Quoted cells may hold the separator and accented text survives."""
    report = run(['C-9,"Dupont, Hélène",,,fr,sms,,"Café ""Le Coin""",,,,,,'])
    assert not report.errors
    client = Client.objects.get(external_ref="C-9")
    assert client.name == "Dupont, Hélène"
    assert client.account == 'Café "Le Coin"'


def test_bad_rows_reported_with_line_and_reason_good_rows_import():
    """Invalid phone, email, language, service or flag are refused with their line; the other rows import."""
    report = run(
        [
            GOOD[0],
            "C-3,Bad Phone,,12345,en,sms,,,,,,,,",
            "C-4,Bad Email,not-an-email,,en,email,,,,,,,,",
            "C-5,Bad Language,,,xx,email,,,,,,,,",
            "C-6,Bad Service,,,en,fax,,,,,,,,",
            "C-7,Bad Flag,,,en,sms,,,,,,,maybe,",
            ",No Ref,,,en,sms,,,,,,,,",
            "C-8,,,,en,sms,,,,,,,,",
            GOOD[1],
        ]
    )
    reasons = {problem.line: problem.reason for problem in report.errors}
    assert reasons == {
        3: "invalid phone number",
        4: "invalid email address",
        5: "unknown language 'xx' (use en, fr, de)",
        6: "unknown service 'fax' (use sms, email or sms+email)",
        7: "active must be yes or no, not 'maybe'",
        8: "external_ref is empty",
        9: "name is empty",
    }
    assert report.created == 2
    assert sorted(Client.objects.values_list("external_ref", flat=True)) == ["C-1", "C-2"]


def test_duplicate_references_refuse_every_copy():
    """Rows sharing a reference are all refused, each naming the lines involved."""
    report = run([GOOD[0], GOOD[1], GOOD[0].replace("Ann Smith", "Ann Other")])
    assert [(problem.line, problem.reason) for problem in report.errors] == [
        (2, "reference 'C-1' appears on lines 2, 4"),
        (4, "reference 'C-1' appears on lines 2, 4"),
    ]
    assert list(Client.objects.values_list("external_ref", flat=True)) == ["C-2"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,email\nAnn,a@example.com\n", "required column(s) missing: external_ref"),
        (b"external_ref,name,emial\nC-1,Ann,x\n", "unknown column 'emial'"),
        (b"external_ref,name,name\nC-1,Ann,Ann\n", "appears twice"),
        ("external_ref,name\nC-1,Hélène\n".encode("latin-1"), "not UTF-8 (line 2)"),
        (b"", "empty"),
    ],
)
def test_unusable_file_imports_nothing(data, message):
    """A file-level fault refuses the whole file with a reason and writes nothing."""
    report = clients_import_csv(data=data, filename="x.csv")
    assert not report.usable
    assert message in report.fatal
    assert not Client.objects.exists()


def test_dry_run_writes_nothing_and_predicts_counts():
    """A dry run reports the same created/updated/unchanged counts as the real import but writes nothing."""
    ClientFactory(external_ref="C-2", name="Bob Martin")
    dry = run(GOOD + ["C-3,New,,,de,sms,Pilot,,,,,,,"], dry_run=True)
    assert (dry.created, dry.updated, dry.unchanged) == (2, 1, 0)
    assert dry.buckets_created == ["Key accounts", "North", "Pilot"]
    assert Client.objects.count() == 1
    assert not Bucket.objects.exists() and not ConsentEvent.objects.exists()
    real = run(GOOD + ["C-3,New,,,de,sms,Pilot,,,,,,,"])
    assert (real.created, real.updated, real.unchanged) == (dry.created, dry.updated, dry.unchanged)
    assert real.changes == dry.changes


def test_reimport_is_unchanged_and_missing_columns_keep_values():
    """Importing the same file twice changes nothing; a file without a column leaves that field alone."""
    run(GOOD)
    again = run(GOOD)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    partial = run(["C-1,Ann Smith-Jones"], header="external_ref,name")
    assert (partial.updated, partial.unchanged) == (1, 0)
    ann = Client.objects.get(external_ref="C-1")
    assert ann.name == "Ann Smith-Jones"
    assert ann.phone == "+33612345678" and ann.tags == ["vip", "gold"]


def test_bucket_join_alone_counts_as_update_and_keeps_other_memberships():
    """Adding a bucket updates a client; buckets the file does not name are kept."""
    BucketFactory(name="Pilot group")
    other = BucketFactory(name="Other")
    run(GOOD)
    ann = Client.objects.get(external_ref="C-1")
    BucketMembership.objects.create(bucket=other, client=ann)
    report = run([GOOD[0].replace("North|Key accounts", "north|pilot group|Key accounts")])
    assert report.updated == 1 and report.buckets_created == []
    assert sorted(ann.buckets.values_list("name", flat=True)) == ["Key accounts", "North", "Other", "Pilot group"]


def test_attributes_are_typed_and_merged():
    """attr_ columns set attributes (numbers as numbers, dates as text), blank cells remove a key, others stay."""
    header = "external_ref,name,attr_monthly_spend,attr_last_visit,attr_code"
    run(["C-1,Ann,120.5,2025-11-03,007"], header=header)
    assert Client.objects.get().attributes == {"monthly_spend": 120.5, "last_visit": "2025-11-03", "code": "007"}
    run(["C-1,Ann,80,"], header="external_ref,name,attr_monthly_spend,attr_last_visit")
    assert Client.objects.get().attributes == {"monthly_spend": 80, "code": "007"}


def test_consent_withdrawn_by_import_is_recorded_and_never_restored():
    """A 'no' withdraws consent with a ConsentEvent (source import, file name); a 'yes' never gives it back."""
    existing = ClientFactory(external_ref="C-1", name="Ann Smith")
    report = run(GOOD, name="billing-2026-11.csv")
    assert report.consent_withdrawn == 1
    bob = Client.objects.get(external_ref="C-2")
    assert not bob.sms_consent and bob.sms_opt_out_source == "import" and bob.sms_opted_out_at
    event = ConsentEvent.objects.get()
    assert (event.client, event.channel, event.action, event.source, event.detail) == (
        bob,
        "sms",
        "withdrawn",
        "import",
        "billing-2026-11.csv",
    )
    back = run([GOOD[1].replace(",no,no", ",no,yes")])
    assert back.consent_not_restored == 1 and back.unchanged == 1
    bob.refresh_from_db()
    assert not bob.sms_consent
    existing.refresh_from_db()
    assert existing.sms_consent


def test_orm_write_path_matches_copy_path(monkeypatch):
    """The portable ORM write path (used on SQLite) gives the same clients, events and memberships."""
    monkeypatch.setattr(csv_import, "_use_copy", lambda: False)
    report = run(GOOD, name="orm.csv")
    assert report.created == 2
    assert Client.objects.get(external_ref="C-2").phone == "+33610000666"
    assert ConsentEvent.objects.get().detail == "orm.csv"
    assert BucketMembership.objects.count() == 3
    assert run(GOOD).unchanged == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_failure_midway_leaves_nothing_written(monkeypatch):
    """If writing fails after the clients are inserted, the clients, buckets and events are all rolled back."""
    real_copy = copy_write._copy
    calls = []

    def failing_copy(cursor, table, columns, rows):
        calls.append(table)
        if table != "import_client":
            raise RuntimeError("disk full")
        real_copy(cursor, table, columns, rows)

    monkeypatch.setattr(copy_write, "_copy", failing_copy)
    with pytest.raises(RuntimeError):
        run(GOOD)
    assert calls[0] == "import_client" and len(calls) == 2
    assert not Client.objects.exists()
    assert not Bucket.objects.exists()
    assert not ConsentEvent.objects.exists()


def test_import_command_prints_rows_and_totals(tmp_path):
    """import_clients prints each rejected row and the totals; --dry-run writes nothing."""
    path = tmp_path / "clients.csv"
    path.write_text("\n".join([HEADER, GOOD[0], "C-3,Bad,,123,en,sms,,,,,,,,"]) + "\n", encoding="utf-8")
    out = StringIO()
    call_command("import_clients", str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "line 3 (C-3): invalid phone number — rejected" in text
    assert "DRY RUN" in text and "1 created" in text
    assert not Client.objects.exists()
    out = StringIO()
    call_command("import_clients", str(path), verbosity=2, stdout=out)
    assert "line 2 (C-1): created" in out.getvalue()
    assert Client.objects.count() == 1


def test_import_command_fails_on_unusable_file(tmp_path):
    """An unusable file makes the command fail (non-zero exit) with the reason."""
    path = tmp_path / "bad.csv"
    path.write_text("name\nAnn\n", encoding="utf-8")
    with pytest.raises(CommandError, match="external_ref"):
        call_command("import_clients", str(path))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_clients", str(tmp_path / "missing.csv"))

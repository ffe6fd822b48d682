"""Issue 13 item 10, imports: ``sms;email`` in a comma file, time zones, and a sync that deactivates the clients
a file leaves out (counted by the dry run first, confirmed before anything is written)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from clients.importing import clients_import_csv
from clients.importing.export import clients_csv_rows
from clients.models import Client
from tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db
IMPORT = "admin:clients_client_import"


def run(text: str, **options):
    return clients_import_csv(data=text.encode(), filename="clients.csv", **options)


def test_services_sms_semicolon_email_in_a_comma_file():
    """A spreadsheet's "sms;email" (quoted or not, in a comma-separated file) means both services."""
    report = run('external_ref,name,services\nC-1,Ann,sms;email\nC-2,Bob,"sms; email"\nC-3,Cy,email;sms\n')
    assert report.error_count == 0, report.errors
    flags = set(Client.objects.values_list("uses_sms_service", "uses_email_service"))
    assert flags == {(True, True)}


def test_time_zone_column_is_validated_normalised_and_exported():
    """time_zone takes IANA names in any case, refuses anything else with a reason, and comes back in the export."""
    report = run("external_ref,name,time_zone\nC-1,Ann,europe/paris\nC-2,Bob,\nC-3,Cy,Mars/Olympus\n")
    assert report.error_count == 1 and "unknown time zone" in report.errors[0].reason
    assert dict(Client.objects.values_list("external_ref", "time_zone")) == {"C-1": "Europe/Paris", "C-2": ""}
    exported = "".join(clients_csv_rows(Client.objects.all()))
    assert "time_zone" in exported.splitlines()[0] and "Europe/Paris" in exported


def test_sync_dry_run_counts_and_the_real_run_deactivates_only_clients_left_out():
    """Active clients the file does not name are counted in the dry run (nothing written), then deactivated; a client
    named on a rejected row stays, inactive ones are not counted again."""
    ClientFactory(external_ref="KEEP")
    ClientFactory(external_ref="BADROW")
    gone = [ClientFactory(external_ref=f"GONE-{n}") for n in range(3)]
    ClientFactory(external_ref="ALREADY-OFF", is_active=False)
    text = "external_ref,name,email\nKEEP,Keep,keep@example.com\nBADROW,Bad,not-an-address\nNEW,New,new@example.com\n"
    preview = run(text, dry_run=True, sync=True)
    assert (preview.deactivated, preview.created, preview.error_count) == (3, 1, 1)
    assert "3 active clients not in the file would be deactivated" in preview.summary()
    assert Client.objects.filter(is_active=False).count() == 1 and not Client.objects.filter(external_ref="NEW")
    report = run(text, sync=True)
    assert report.deactivated == 3
    assert set(Client.objects.filter(is_active=False).values_list("external_ref", flat=True)) == {
        *(client.external_ref for client in gone),
        "ALREADY-OFF",
    }
    assert Client.objects.get(external_ref="BADROW").is_active


def test_without_sync_nobody_is_deactivated():
    ClientFactory(external_ref="OTHER")
    report = run("external_ref,name\nC-1,Ann\n")
    assert report.deactivated == 0 and Client.objects.get(external_ref="OTHER").is_active


def test_sync_refuses_a_file_that_names_nobody():
    """A header alone would deactivate every client: the whole file is refused instead."""
    ClientFactory()
    report = run("external_ref,name\n", sync=True)
    assert not report.usable and "would deactivate every client" in report.fatal
    assert Client.objects.filter(is_active=True).count() == 1


def test_command_sync_says_the_count_and_needs_yes_without_a_terminal(tmp_path):
    """manage.py import_clients --sync prints how many go first; without a terminal it needs --yes to write."""
    ClientFactory(external_ref="GONE")
    path = tmp_path / "clients.csv"
    path.write_text("external_ref,name\nC-1,Ann\n")
    out = StringIO()
    with pytest.raises(CommandError, match="not confirmed"):
        call_command("import_clients", str(path), "--sync", stdout=out)
    assert "1 active client(s) are not in clients.csv" in out.getvalue()
    assert Client.objects.get(external_ref="GONE").is_active and not Client.objects.filter(external_ref="C-1")
    call_command("import_clients", str(path), "--sync", "--yes", stdout=out)
    assert not Client.objects.get(external_ref="GONE").is_active


@pytest.fixture
def admin_web(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client.force_login(UserFactory(username="registry-admin", groups=["Admins"], is_staff=True))
    return client


def test_admin_sync_preview_shows_the_count_and_confirm_needs_the_tick(admin_web):
    """The admin's import page: the preview shows how many would be deactivated; confirming without ticking the
    box writes nothing and asks again; with the tick the import runs and deactivates them."""
    ClientFactory(external_ref="GONE-1")
    ClientFactory(external_ref="GONE-2")
    upload = SimpleUploadedFile("clients.csv", b"external_ref,name\nC-1,Ann\n", content_type="text/csv")
    preview = admin_web.post(reverse(IMPORT), {"step": "preview", "file": upload, "sync": "on"})
    assert preview.status_code == 200
    assert 'class="import-deactivated">2<' in preview.text
    assert 'name="confirm_deactivate"' in preview.text
    token = preview.context["token"]
    refused = admin_web.post(reverse(IMPORT), {"step": "confirm", "token": token})
    assert refused.status_code == 200 and "Tick the box" in refused.text
    assert Client.objects.filter(is_active=True).count() == 2 and not Client.objects.filter(external_ref="C-1")
    done = admin_web.post(reverse(IMPORT), {"step": "confirm", "token": token, "confirm_deactivate": "1"})
    assert done.status_code == 302
    assert set(Client.objects.filter(is_active=True).values_list("external_ref", flat=True)) == {"C-1"}

"""CSV import in bounded size, memory and disk: a configured limit with a clear message, streamed reading, and
uploaded files removed after use (issue 12: a 50 MB file was accepted, took 25 s to preview, grew the process to
1.4 GB, and its preview file stayed on disk)."""

from __future__ import annotations

import os
import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.importing import clients_import_csv
from clients.importing.uploads import import_previews_sweep, upload_dir
from clients.models import Client
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "admin:clients_client_import"


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.VAR_DIR = tmp_path


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(username="importer", groups=["Admins"], is_staff=True))
    return client


def _rows(count: int, prefix: str = "C") -> bytes:
    lines = ["external_ref,name,email,phone,buckets,tags,attr_spend"]
    lines += [f"{prefix}-{i},Client {i},c{i}@example.com,+336{i:08d},North|Key,vip,{i}" for i in range(count)]
    return ("\n".join(lines) + "\n").encode()


def _files() -> list[str]:
    return sorted(os.listdir(upload_dir()))


def test_a_file_over_the_limit_is_refused_with_the_sizes_and_nothing_stays(admin_client_, settings):
    settings.CLIENT_IMPORT_MAX_BYTES = 10_000
    data = _rows(400)
    assert len(data) > 10_000
    response = admin_client_.post(reverse(URL), {"step": "preview", "file": SimpleUploadedFile("big.csv", data)})
    assert response.status_code == 200
    text = response.content.decode()
    assert "The file is too large" in text and "10.0 kB" in text and "split it" in text
    assert "report" not in response.context and _files() == [] and not Client.objects.exists()


def test_an_announced_body_over_the_limit_is_refused_before_it_is_read(admin_client_, settings):
    """A Content-Length over the limit is answered at once (the upload is not read or spooled)."""
    settings.CLIENT_IMPORT_MAX_BYTES = 10_000
    response = admin_client_.generic(
        "POST", reverse(URL), b"x" * 100, content_type="multipart/form-data; boundary=zz", CONTENT_LENGTH="50000000"
    )
    assert response.status_code == 413 and "The file is too large" in response.content.decode()


def test_preview_files_go_away_after_confirm_and_when_replaced(admin_client_):
    url = reverse(URL)
    first = admin_client_.post(url, {"step": "preview", "file": SimpleUploadedFile("a.csv", _rows(3, "A"))})
    assert len(_files()) == 1
    second = admin_client_.post(url, {"step": "preview", "file": SimpleUploadedFile("b.csv", _rows(3, "B"))})
    assert len(_files()) == 1  # the first preview's file is gone: one waiting file per user
    assert admin_client_.post(url, {"step": "confirm", "token": first.context["token"]}, follow=True).status_code == 200
    assert not Client.objects.filter(external_ref__startswith="A-").exists()
    admin_client_.post(url, {"step": "confirm", "token": second.context["token"]})
    assert Client.objects.filter(external_ref__startswith="B-").count() == 3 and _files() == []


def test_abandoned_previews_are_swept_after_the_confirmation_window(admin_client_):
    url = reverse(URL)
    admin_client_.post(url, {"step": "preview", "file": SimpleUploadedFile("a.csv", _rows(3))})
    [name] = _files()
    (upload_dir() / "stray.txt").write_text("not ours")
    assert import_previews_sweep() == 0 and _files() == sorted([name, "stray.txt"])
    old = time.time() - 2 * 3600
    os.utime(upload_dir() / name, (old, old))
    assert import_previews_sweep() == 1 and _files() == ["stray.txt"]


def _peak_bytes(data: bytes) -> int:
    tracemalloc.start()
    try:
        report = clients_import_csv(data=data, filename="x.csv", dry_run=True)
        assert report.usable and report.created == data.count(b"\n") - 1
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_reading_is_streamed_memory_does_not_grow_with_the_file():
    """A dry run of 30,000 rows needs about what 10,000 rows need: rows are read and planned in chunks."""
    small = _peak_bytes(_rows(10_000))
    large = _peak_bytes(_rows(30_000))
    assert large < small * 1.6, (small, large)


def test_a_huge_report_keeps_a_bounded_list_of_problems():
    """Every row bad: the report counts them all but keeps the first 1,000 lines for display."""
    lines = ["external_ref,name,phone"] + [f"R-{i},Name,not-a-number" for i in range(3_000)]
    report = clients_import_csv(data=("\n".join(lines) + "\n").encode(), filename="bad.csv", dry_run=True)
    assert report.error_count == 3_000 and len(report.errors) == 1_000
    assert "3000 rejected" in report.summary()


def test_the_sweep_command_removes_abandoned_uploads(capsys):
    from django.core.management import call_command

    stale = upload_dir() / "0123456789abcdef0123456789abcdef.csv"
    stale.write_bytes(b"external_ref,name\n")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    call_command("sweep_import_uploads")
    assert not stale.exists() and "1 abandoned upload(s) removed" in capsys.readouterr().out


def test_a_cell_with_a_nul_character_refuses_its_row_only():
    """PostgreSQL stores no NUL: such a row is reported with its line, the others import (found by hypothesis)."""
    data = b"external_ref,name,buckets\nA\x00,Ann,North\nB,Bob\x00,North\nC,Cid,No\x00rth\nD,Dan,North\n"
    report = clients_import_csv(data=data, filename="nul.csv")
    assert [(problem.line, problem.reason) for problem in report.errors] == [
        (2, "external_ref holds a NUL character"),
        (3, "name holds a NUL character"),
        (4, "buckets holds a NUL character"),
    ]
    assert list(Client.objects.values_list("external_ref", flat=True)) == ["D"]

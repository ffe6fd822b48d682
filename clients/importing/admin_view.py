"""The admin's CSV import page: upload, a dry-run preview with every bad row, then confirm.

Between preview and confirm the uploaded file waits under ``VAR_DIR/imports`` with a random name; the confirm
form carries that name signed (and bound to the user), so nobody can make the portal import a file they did not
upload. Files left behind are removed after a day.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from clients.forms import ImportUploadForm
from clients.importing.csv_import import clients_import_csv
from clients.importing.parsing import COLUMNS

SALT = "clients.admin-import"
MAX_AGE = 3600
KEEP_SECONDS = 24 * 3600
PREVIEW_ROWS = 200


def upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(directory: Path) -> None:
    cutoff = time.time() - KEEP_SECONDS
    for old in directory.glob("*.csv"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)


def _stored_file(request: HttpRequest) -> tuple[Path, str] | None:
    try:
        data = signing.loads(request.POST.get("token", ""), salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if data.get("user") != request.user.pk:
        return None
    path = upload_dir() / f"{uuid.UUID(data['id']).hex}.csv"
    return (path, data["name"]) if path.is_file() else None


def import_view(model_admin, request: HttpRequest) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import clients from CSV"),
        "columns": COLUMNS,
        "preview_rows": PREVIEW_ROWS,
    }
    form = ImportUploadForm()
    if request.method == "POST" and request.POST.get("step") == "confirm":
        stored = _stored_file(request)
        if stored is None:
            messages.error(request, _("That upload has expired; please upload the file again."))
            return HttpResponseRedirect(request.path)
        path, name = stored
        report = clients_import_csv(data=path.read_bytes(), filename=name)
        path.unlink(missing_ok=True)
        level = messages.WARNING if report.errors or not report.usable else messages.SUCCESS
        messages.add_message(request, level, report.summary())
        if not report.errors:
            return HttpResponseRedirect(reverse("admin:clients_client_changelist"))
        context.update(report=report, done=True)
    elif request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            directory = upload_dir()
            _sweep(directory)
            file_id = uuid.uuid4()
            path = directory / f"{file_id.hex}.csv"
            with path.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            report = clients_import_csv(data=path.read_bytes(), filename=upload.name, dry_run=True)
            if not report.usable:
                path.unlink(missing_ok=True)
            token = signing.dumps({"id": str(file_id), "name": upload.name, "user": request.user.pk}, salt=SALT)
            context.update(report=report, token=token)
    context["form"] = form
    if "report" in context:
        report = context["report"]
        context["changes"] = [row for row in report.outcomes if row[2] != "unchanged"][:PREVIEW_ROWS]
    return TemplateResponse(request, "admin/clients/client/import.html", context)

"""The admin's CSV import page: upload, a dry-run preview with every bad row, then confirm.

An upload larger than ``CLIENT_IMPORT_MAX_BYTES`` is refused with the sizes: when the browser announces a larger
body it is not read at all (413), and a body that turns out larger is cut off while it arrives
(``SizeLimitHandler``). Between preview and confirm the file waits under ``VAR_DIR/imports`` with a random name;
the confirm form carries that name signed (and bound to the user), so nobody can make the portal import a file
they did not upload. A file goes as soon as it is used (confirmed, refused, or replaced by the same user's next
preview), and ``import_previews_sweep`` removes the ones abandoned for longer than the confirmation window (on
every visit to the page, and ``manage.py sweep_import_uploads`` from cron).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import AdminSite
from django.core import signing
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from clients.forms import ImportUploadForm, file_too_large_message
from clients.importing.csv_import import clients_import_csv
from clients.importing.parsing import COLUMNS
from clients.importing.report import ImportReport
from clients.importing.uploads import MAX_AGE, import_previews_sweep, upload_dir


class ImportingAdmin(Protocol):
    """What the import page needs of the client admin (``clients.admin.ClientAdmin``), so it imports nothing back."""

    admin_site: AdminSite

    @property
    def model(self) -> type[Model]: ...

    def has_import_permission(self, request: HttpRequest) -> bool: ...


SALT = "clients.admin-import"
PREVIEW_ROWS = 200
FORM_OVERHEAD = 64 * 1024  # the multipart envelope and the other fields around the file
SESSION_KEY = "clients_import_preview"


def import_max_bytes() -> int:
    return int(getattr(settings, "CLIENT_IMPORT_MAX_BYTES", 10 * 1024 * 1024))


class SizeLimitHandler(FileUploadHandler):
    """Counts the bytes of uploaded files and stops reading the body once they pass the limit."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.request.import_too_large = self.received  # type: ignore[union-attr]
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _announced_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def upload_guard(model_admin: ImportingAdmin, view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wraps the admin view (which checks CSRF itself) so the size limit applies before the body is read."""

    @csrf_exempt
    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            limit = import_max_bytes()
            announced = _announced_length(request)
            if announced > limit + FORM_OVERHEAD:
                if not model_admin.has_import_permission(request):
                    return HttpResponse(status=413)
                refused = {"form": ImportUploadForm(), "upload_error": file_too_large_message(announced, limit)}
                return _page(model_admin, request, refused, status=413)
            request.upload_handlers.insert(0, SizeLimitHandler(request, limit))
        return view(request, *args, **kwargs)

    return guarded


def _stored_file(request: HttpRequest) -> tuple[Path, str, bool] | None:
    try:
        data = signing.loads(request.POST.get("token", ""), salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != request.user.pk:
        return None
    path = upload_dir() / f"{uuid.UUID(str(data['id'])).hex}.csv"
    return (path, str(data["name"]), bool(data.get("sync"))) if path.is_file() else None


def _forget_previous(request: HttpRequest) -> None:
    """One waiting file per session: a new preview (or a confirm) removes the previous upload."""
    previous = request.session.pop(SESSION_KEY, None)
    if isinstance(previous, str) and len(previous) == 32 and previous.isalnum():
        (upload_dir() / f"{previous}.csv").unlink(missing_ok=True)


def _page(
    model_admin: ImportingAdmin, request: HttpRequest, extra: dict[str, Any], *, status: int = 200
) -> TemplateResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": _("Import clients from CSV"),
        "columns": COLUMNS,
        "preview_rows": PREVIEW_ROWS,
        "max_bytes": import_max_bytes(),
        **extra,
    }
    report = context.get("report")
    if isinstance(report, ImportReport):
        context["changes"] = report.changes[:PREVIEW_ROWS]
    return TemplateResponse(request, "admin/clients/client/import.html", context, status=status)


def _confirm(model_admin: ImportingAdmin, request: HttpRequest) -> HttpResponse:
    stored = _stored_file(request)
    if stored is None:
        messages.error(request, _("That upload has expired; please upload the file again."))
        return HttpResponseRedirect(request.path)
    path, name, sync = stored
    if sync and not request.POST.get("confirm_deactivate"):
        messages.error(request, _("Tick the box to confirm that the clients missing from the file are deactivated."))
        report = clients_import_csv(path=path, filename=name, dry_run=True, sync=True)
        extra = {"form": ImportUploadForm(), "report": report, "token": request.POST.get("token", "")}
        return _page(model_admin, request, extra)
    try:
        report = clients_import_csv(path=path, filename=name, sync=sync)
    finally:
        path.unlink(missing_ok=True)
        request.session.pop(SESSION_KEY, None)
    level = messages.WARNING if report.error_count or not report.usable else messages.SUCCESS
    messages.add_message(request, level, report.summary())
    if not report.error_count and report.usable:
        return HttpResponseRedirect(reverse("admin:clients_client_changelist"))
    return _page(model_admin, request, {"form": ImportUploadForm(), "report": report, "done": True})


def _preview(model_admin: ImportingAdmin, request: HttpRequest) -> HttpResponse:
    too_large = getattr(request, "import_too_large", 0)
    if too_large:
        refused = {"form": ImportUploadForm(), "upload_error": file_too_large_message(too_large, import_max_bytes())}
        return _page(model_admin, request, refused)
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(model_admin, request, {"form": form})
    upload = form.cleaned_data["file"]
    _forget_previous(request)
    file_id = uuid.uuid4()
    path = upload_dir() / f"{file_id.hex}.csv"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    name = str(upload.name or "upload.csv")[:200]
    sync = bool(form.cleaned_data.get("sync"))
    report = clients_import_csv(path=path, filename=name, dry_run=True, sync=sync)
    if not report.usable:
        path.unlink(missing_ok=True)
        return _page(model_admin, request, {"form": ImportUploadForm(), "report": report})
    request.session[SESSION_KEY] = file_id.hex
    token = signing.dumps({"id": str(file_id), "name": name, "user": request.user.pk, "sync": sync}, salt=SALT)
    return _page(model_admin, request, {"form": ImportUploadForm(), "report": report, "token": token})


def import_view(model_admin: ImportingAdmin, request: HttpRequest) -> HttpResponse:
    import_previews_sweep()
    if request.method == "POST" and request.POST.get("step") == "confirm":
        return _confirm(model_admin, request)
    if request.method == "POST":
        return _preview(model_admin, request)
    return _page(model_admin, request, {"form": ImportUploadForm()})

"""The privacy actions on the client list: export everything held about a client (JSON), and erase it.

They span a client and its messages, so the notifications app adds them: the Client admin is registered again as
``PrivacyClientAdmin``, a subclass of ``clients.admin.ClientAdmin`` with two more actions. Each action needs its
own permission (``clients.export_client_data``, ``clients.erase_client_data``); the service checks it again.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.admin import ClientAdmin
from clients.models import Client
from notifications.privacy import ERASE_PERMISSION, EXPORT_PERMISSION, client_erase, client_export_data

MAX_EXPORT = 100  # clients per export file: each carries every message, so one file stays a reasonable size
MAX_ERASE = 1000  # clients per erasure: the confirmation page lists each one


@admin.action(description=_("Export everything held about the selected clients (JSON)"), permissions=["export_data"])
def export_clients(modeladmin: ClientAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> HttpResponse | None:
    chosen = list(queryset.order_by("pk")[: MAX_EXPORT + 1])
    if len(chosen) > MAX_EXPORT:
        modeladmin.message_user(
            request, _("Export at most %(n)d clients at a time.") % {"n": MAX_EXPORT}, messages.WARNING
        )
        return None
    data = [client_export_data(client=client, by=request.user) for client in chosen]
    name = f"client-{data[0]['client']['external_ref']}" if len(data) == 1 else "clients"
    response = HttpResponse(
        json.dumps(data[0] if len(data) == 1 else data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_ascii_filename(name)}-export.json"'
    return response


def _ascii_filename(name: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)[:80]


@admin.action(description=_("Erase the selected clients (keeps anonymous delivery counts)"), permissions=["erase_data"])
def erase_clients(modeladmin: ClientAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> TemplateResponse | None:
    """Asks first; erasing cannot be undone."""
    chosen = list(queryset.order_by("pk")[: MAX_ERASE + 1])
    if len(chosen) > MAX_ERASE:
        modeladmin.message_user(
            request, _("Erase at most %(n)d clients at a time.") % {"n": MAX_ERASE}, messages.WARNING
        )
        return None
    if request.POST.get("confirm_erase") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": _("Erase clients"),
            "clients": chosen,
            "opts": modeladmin.model._meta,
            "action_name": "erase_clients",
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "notifications/privacy/erase_confirm.html", context)
    erased = 0
    for client in chosen:
        client_erase(client=client, by=request.user)
        erased += 1
    modeladmin.message_user(
        request, ngettext("%d client erased.", "%d clients erased.", erased) % erased, messages.SUCCESS
    )
    return None


class PrivacyClientAdmin(ClientAdmin):
    """The client admin with the privacy actions, each behind its own permission."""

    actions = [*ClientAdmin.actions, export_clients, erase_clients]

    def has_export_data_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(EXPORT_PERMISSION))

    def has_erase_data_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(ERASE_PERMISSION))


def install(site: admin.AdminSite = admin.site) -> None:
    """Register the client admin again, with the privacy actions (called by ``notifications/admin.py``)."""
    if site.is_registered(Client):
        site.unregister(Client)
    site.register(Client, PrivacyClientAdmin)

"""Admin for consent records and sign-ups, and the privacy actions on clients (export, erase).

Imported at the end of ``clients/admin.py``: it registers its own admins and adds its actions and the consent
history inline to the registered ``Client`` admin.
"""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.models import Client, ConsentEvent, SignupRequest
from clients.privacy import client_erase, client_export_data
from clients.signup import signup_approve, signup_reject


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ConsentEvent)
class ConsentEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The consent history, append-only: visible to staff, changed by nobody."""

    list_display = ("at", "client", "channel", "action", "source", "detail")
    list_filter = ("channel", "action", "source")
    search_fields = ("client__name", "client__external_ref", "detail")
    date_hierarchy = "at"
    list_select_related = ("client",)


class ConsentEventInline(ReadOnlyMixin, admin.TabularInline):
    model = ConsentEvent
    fields = ("at", "channel", "action", "source", "detail")
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("consent history")


@admin.action(description=_("Approve the selected sign-ups (creates the clients)"), permissions=["change"])
def approve_signups(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    created = sum(signup_approve(signup=s, by=request.user) is not None for s in queryset)
    modeladmin.message_user(
        request, ngettext("%d sign-up approved.", "%d sign-ups approved.", created) % created, messages.SUCCESS
    )


@admin.action(description=_("Reject the selected sign-ups (their contact details are erased)"), permissions=["change"])
def reject_signups(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
    rejected = sum(signup_reject(signup=s, by=request.user) for s in queryset)
    modeladmin.message_user(
        request, ngettext("%d sign-up rejected.", "%d sign-ups rejected.", rejected) % rejected, messages.SUCCESS
    )


@admin.register(SignupRequest)
class SignupRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "name", "account_ref", "state", "email_confirmed_at", "phone_confirmed_at", "client")
    list_filter = ("state",)
    search_fields = ("name", "account_ref", "email", "phone")
    actions = [approve_signups, reject_signups]
    fields = (
        "state",
        "account_ref",
        "name",
        "email",
        "phone",
        "language",
        "uses_sms_service",
        "uses_email_service",
        "email_confirmed_at",
        "phone_confirmed_at",
        "code_attempts",
        "expires_at",
        "created_at",
        "decided_at",
        "decided_by",
        "client",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.action(description=_("Export everything held about the selected clients (JSON)"), permissions=["view"])
def export_clients(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
    data = [client_export_data(client=client) for client in queryset.order_by("pk")]
    name = f"client-{data[0]['client']['external_ref']}" if len(data) == 1 else "clients"
    response = HttpResponse(
        json.dumps(data[0] if len(data) == 1 else data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-export.json"'
    return response


@admin.action(description=_("Erase the selected clients (keeps anonymous delivery counts)"), permissions=["delete"])
def erase_clients(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
    """Asks first; erasing cannot be undone."""
    if request.POST.get("confirm_erase") != "yes":
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": _("Erase clients"),
            "clients": list(queryset),
            "opts": modeladmin.model._meta,
            "action_name": "erase_clients",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "clients/privacy/erase_confirm.html", context)
    erased = 0
    for client in queryset:
        client_erase(client=client)
        erased += 1
    modeladmin.message_user(
        request, ngettext("%d client erased.", "%d clients erased.", erased) % erased, messages.SUCCESS
    )
    return None


def install(client_admin: admin.ModelAdmin) -> None:
    """Add the privacy actions and the consent history to the Client admin."""
    client_admin.actions = [*(client_admin.actions or ()), export_clients, erase_clients]
    client_admin.inlines = [*client_admin.inlines, ConsentEventInline]


if Client in admin.site._registry:
    install(admin.site._registry[Client])

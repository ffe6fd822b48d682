"""Admin for consent records and sign-ups: the append-only consent history, and the sign-ups an admin decides.

The privacy actions on clients (export everything held, erase) span clients and their messages, so the
notifications app adds them (``notifications/admin_privacy.py``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.models import ConsentEvent, SignupRequest
from clients.signup import signup_account_clients, signup_approve, signup_reject


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
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
def approve_signups(
    modeladmin: admin.ModelAdmin[SignupRequest], request: HttpRequest, queryset: QuerySet[SignupRequest]
) -> None:
    created = sum(signup_approve(signup=s, by=request.user) is not None for s in queryset)
    modeladmin.message_user(
        request, ngettext("%d sign-up approved.", "%d sign-ups approved.", created) % created, messages.SUCCESS
    )


@admin.action(description=_("Reject the selected sign-ups (their contact details are erased)"), permissions=["change"])
def reject_signups(
    modeladmin: admin.ModelAdmin[SignupRequest], request: HttpRequest, queryset: QuerySet[SignupRequest]
) -> None:
    rejected = sum(signup_reject(signup=s, by=request.user) for s in queryset)
    modeladmin.message_user(
        request, ngettext("%d sign-up rejected.", "%d sign-ups rejected.", rejected) % rejected, messages.SUCCESS
    )


@admin.register(SignupRequest)
class SignupRequestAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "name",
        "account_ref",
        "known_account",
        "state",
        "email_confirmed_at",
        "phone_confirmed_at",
        "client",
    )
    list_filter = ("state",)
    search_fields = ("name", "account_ref", "email", "phone")
    actions = [approve_signups, reject_signups]
    fields = (
        "state",
        "account_ref",
        "known_account",
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

    @admin.display(description=_("Account in the registry"))
    def known_account(self, signup: SignupRequest) -> str:
        """What the reviewer must weigh: a known account's newcomer joins that account's buckets when approved."""
        count = signup_account_clients(signup.account_ref).count()
        if not count:
            return str(_("unknown"))
        return ngettext("known (%d client)", "known (%d clients)", count) % count

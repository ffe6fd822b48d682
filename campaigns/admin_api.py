"""Admin for the monitoring API: tokens (shown once, at creation or rotation), alert routes, alert links."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from campaigns.api.tokens import api_token_rotate, token_issue
from campaigns.models import AlertLink, AlertRoute, ApiToken


def _show_once(request: HttpRequest, token: ApiToken, raw: str) -> None:
    messages.warning(
        request,
        _("Token for “%(name)s”: %(raw)s — copy it now; it is stored hashed and will not be shown again.")
        % {"name": token.name, "raw": raw},
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "prefix",
        "can_create_draft",
        "can_read_status",
        "can_send_without_review",
        "active",
        "last_used_at",
    )
    list_filter = ("active", "can_create_draft", "can_read_status", "can_send_without_review")
    search_fields = ("name", "prefix")
    readonly_fields = ("prefix", "created_by", "created_at", "last_used_at")
    fieldsets = (
        (None, {"fields": ("name", "active", "prefix")}),
        (
            _("Permissions"),
            {"fields": ("can_create_draft", "can_read_status", "can_send_without_review", "can_register_devices")},
        ),
        (_("History"), {"fields": ("created_by", "created_at", "last_used_at")}),
    )
    actions = ("rotate",)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        raw = None
        if not change:
            obj.created_by = request.user if isinstance(request.user, User) else None
            raw = token_issue(obj)
        super().save_model(request, obj, form, change)
        if raw:
            _show_once(request, obj, raw)

    @admin.action(description=_("Rotate: issue a new value (the old one stops working)"))
    def rotate(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            _show_once(request, token, api_token_rotate(token=token))


@admin.register(AlertRoute)
class AlertRouteAdmin(admin.ModelAdmin):
    list_display = ("name", "priority", "matchers", "kind", "channels", "send_without_review", "active")
    list_editable = ("priority", "active")
    list_filter = ("active", "kind")
    search_fields = ("name",)
    filter_horizontal = ("buckets",)
    fieldsets = (
        (None, {"fields": ("name", "priority", "active")}),
        (_("Which alerts"), {"fields": ("matchers", "match_regex")}),
        (
            _("The draft"),
            {
                "fields": (
                    "kind",
                    "buckets",
                    "segment",
                    "channels",
                    "template",
                    "resolved_template",
                    "send_without_review",
                )
            },
        ),
    )


@admin.register(AlertLink)
class AlertLinkAdmin(admin.ModelAdmin):
    list_display = ("group_key", "route", "incident", "campaign", "fired_at", "resolved_at")
    list_select_related = ("route", "incident", "campaign")
    search_fields = ("group_key",)
    readonly_fields = [field.name for field in AlertLink._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

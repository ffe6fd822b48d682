"""Admin views of sends and their record: read-only, since every change goes through the send services.

Also adds the privacy actions (export, erase) to the client list: ``notifications/admin_privacy.py``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from notifications import admin_privacy
from notifications.models import DeliveryReport, Message, ProviderCall, Reply, Send

admin_privacy.install(admin.site)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Send)
class SendAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "label",
        "is_test",
        "state",
        "channels",
        "created_at",
        "completed_at",
        "total",
        "delivered",
        "failed",
        "skipped",
    )
    list_filter = ("state", "is_test")
    search_fields = ("label", "reference")
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Send]:
        failed = ("failed", "undeliverable", "expired", "rejected")
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_total=Count("messages"),
                n_delivered=Count("messages", filter=Q(messages__state="delivered")),
                n_failed=Count("messages", filter=Q(messages__state__in=failed)),
                n_skipped=Count("messages", filter=Q(messages__state="skipped")),
            )
        )

    @admin.display(ordering="n_total")
    def total(self, obj: Any) -> int:
        return int(obj.n_total)

    @admin.display(ordering="n_delivered")
    def delivered(self, obj: Any) -> int:
        return int(obj.n_delivered)

    @admin.display(ordering="n_failed")
    def failed(self, obj: Any) -> int:
        return int(obj.n_failed)

    @admin.display(ordering="n_skipped")
    def skipped(self, obj: Any) -> int:
        return int(obj.n_skipped)


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "send",
        "channel",
        "state",
        "skip_reason",
        "language",
        "attempts",
        "status_name",
        "error_code",
        "accepted_at",
        "done_at",
    )
    list_filter = ("state", "channel", "skip_reason")
    search_fields = ("=id", "=provider_message_id", "destination")
    list_select_related = ("send",)
    raw_id_fields = ("send", "client", "test_recipient")
    show_full_result_count = False


@admin.register(DeliveryReport)
class DeliveryReportAdmin(ReadOnlyAdmin):
    list_display = (
        "provider_message_id",
        "channel",
        "status_group",
        "status_name",
        "error_name",
        "source",
        "is_orphan",
        "done_at",
        "received_at",
    )
    list_filter = ("source", "is_orphan", "status_group", "channel")
    search_fields = ("=provider_message_id",)
    raw_id_fields = ("message",)
    show_full_result_count = False


@admin.register(ProviderCall)
class ProviderCallAdmin(ReadOnlyAdmin):
    list_display = ("at", "send", "channel", "message_count", "outcome", "http_status", "duration_ms", "error")
    list_filter = ("outcome", "channel")
    raw_id_fields = ("send",)


class MatchedFilter(admin.SimpleListFilter):
    title = "matched to a notice"
    parameter_name = "matched"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Matched"), ("no", "Unmatched")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("yes", "no"):
            return queryset.filter(message__isnull=self.value() == "no")
        return queryset


@admin.register(Reply)
class ReplyAdmin(ReadOnlyAdmin):
    """Replies as received (whole numbers: only for those given *Can view reply*; no group holds it by default)."""

    list_display = ("received_at", "channel", "sender", "text", "keyword", "message", "client")
    list_filter = (MatchedFilter, "channel", "keyword")
    search_fields = ("=sender", "=inbound_id")
    raw_id_fields = ("message", "client")
    show_full_result_count = False

"""Admin for incidents, campaigns (read-mostly: notices change through the outage form), templates and the audit."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from campaigns.models import Campaign, CampaignEvent, CampaignSend, Incident, MessageTemplate, TemplateVersion
from campaigns.services.public_cache import public_changed


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ("title", "kind", "severity", "status", "started_at", "expected_resolution_at", "is_public")
    list_filter = ("status", "kind", "severity", "is_public")
    search_fields = ("title",)
    date_hierarchy = "started_at"
    readonly_fields = ("public_id", "public_state", "published_at")

    def save_model(self, request: HttpRequest, obj: Incident, form: Any, change: bool) -> None:
        """A published incident's title, services, regions or visibility show on its public page at once."""
        super().save_model(request, obj, form, change)
        public_changed()


class CampaignEventInline(admin.TabularInline):
    model = CampaignEvent
    extra = 0
    can_delete = False
    fields = ("at", "action", "actor", "detail")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class CampaignSendInline(admin.TabularInline):
    model = CampaignSend
    extra = 0
    can_delete = False
    fields = ("role", "send", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Sending, pausing and approving happen in the portal, where each writes an audit event; here one only reads."""

    list_display = ("title", "kind", "state", "audience_size", "created_by", "created_at", "sent_at")
    list_filter = ("state", "kind", "send_mode")
    search_fields = ("title", "incident__title")
    date_hierarchy = "created_at"
    inlines = (CampaignSendInline, CampaignEventInline)
    readonly_fields = tuple(field.name for field in Campaign._meta.fields)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class TemplateVersionInline(admin.StackedInline):
    model = TemplateVersion
    extra = 0


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name", "description")
    inlines = (TemplateVersionInline,)


@admin.register(CampaignEvent)
class CampaignEventAdmin(admin.ModelAdmin):
    list_display = ("at", "campaign", "action", "actor", "detail")
    list_filter = ("action",)
    search_fields = ("campaign__title", "detail")
    date_hierarchy = "at"
    readonly_fields = ("campaign", "actor", "action", "detail", "at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


from campaigns import admin_api  # noqa: E402,F401

"""Admin for what groups clients: buckets (static membership), saved segments, and internal test recipients.

A segment's counts run its definition against the registry; a definition that cannot run (saved before the
checks, or naming what no longer exists) is shown as invalid with the reason, never as a server error.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from clients.condition_builder import field_suggestions
from clients.forms import (
    ServiceNameAdminForm,
    TestRecipientAdminForm,
    service_name_form,
    translated_languages,
)
from clients.models import Bucket, Channel, Segment, ServiceName, TestRecipient
from clients.segment_form import SegmentAdminForm
from clients.selectors import AudienceError, audience_counts, audience_queryset


@admin.register(Bucket)
class BucketAdmin(admin.ModelAdmin):
    list_display = ("name", "members", "description", "created_at")
    search_fields = ("name", "description")
    prepopulated_fields = {"slug": ("name",)}
    fields = ("name", "slug", "description", "members")
    readonly_fields = ("members",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Bucket]:
        return super().get_queryset(request).annotate(member_count=Count("memberships"))

    @admin.display(description=_("Members"), ordering="member_count")
    def members(self, bucket: Bucket) -> SafeString | str:
        if bucket.pk is None:
            return "—"
        count = getattr(bucket, "member_count", None)
        count = bucket.memberships.count() if count is None else count
        url = reverse("admin:clients_client_changelist") + f"?bucket={bucket.pk}"
        return format_html('<a href="{}">{} {}</a>', url, count, _("clients"))


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    """Edited with the outage form's condition builder (templates/admin/clients/segment/change_form.html and
    static/js/condition_builder.js add and remove rows), never as raw JSON."""

    form = SegmentAdminForm
    change_form_template = "admin/clients/segment/change_form.html"
    list_display = ("name", "description", "matched", "updated_at")
    search_fields = ("name", "description")
    readonly_fields = ("audience",)
    fields = ("name", "description", "builtin", "buckets", "include", "match", "audience")

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> HttpResponse:
        context["field_suggestions"] = field_suggestions()
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description=_("Clients matched"))
    def matched(self, segment: Segment) -> str:
        try:
            return str(audience_queryset(segment.definition).count())
        except AudienceError as error:
            return f"invalid: {error}"

    @admin.display(description=_("Audience now"))
    def audience(self, segment: Segment) -> str:
        if segment.pk is None:
            return "—"
        try:
            counts = audience_counts(segment.definition, [Channel.SMS, Channel.EMAIL])
        except AudienceError as error:
            return f"invalid: {error}"
        parts = [f"{counts.matched} clients matched"]
        for channel, channel_counts in counts.per_channel.items():
            excluded = ", ".join(f"{reason} {n}" for reason, n in channel_counts.excluded.items() if n)
            parts.append(
                f"{channel}: {channel_counts.eligible} reachable" + (f" (excluded: {excluded})" if excluded else "")
            )
        return " · ".join(parts)


@admin.register(TestRecipient)
class TestRecipientAdmin(admin.ModelAdmin):
    form = TestRecipientAdminForm
    list_display = ("name", "email", "phone", "language", "is_active")
    list_filter = ("is_active", "language")
    search_fields = ("name", "email", "phone")


@admin.register(ServiceName)
class ServiceNameAdmin(admin.ModelAdmin):
    """What {{ service }} reads in each language: a French client reads "Service SMS" for "SMS service"."""

    form = ServiceNameAdminForm
    list_display = ("name", "translated")
    search_fields = ("name",)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = service_name_form()
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["name", *(f"name_{code}" for code, _name in translated_languages())]

    @admin.display(description=_("Translations"))
    def translated(self, service: ServiceName) -> str:
        names = service.translations if isinstance(service.translations, dict) else {}
        return ", ".join(f"{code}: {text}" for code, text in sorted(names.items())) or "—"

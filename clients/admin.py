"""Django admin for the client registry: the client list and page, its filters, bucket actions, CSV import and export.

Admins keep clients here (Admins group); Viewers read; nobody edits consent except through ``consent_set``, so
every change lands in the consent history. The CSV import page and the export go through ``clients.importing``.
Buckets, segments and test recipients are in ``admin_groups``, consent and sign-ups in ``admin_consent``; the
privacy actions (export everything held, erase) are added by ``notifications/admin_privacy.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from clients import admin_groups, admin_reach  # noqa: F401  (admin_groups registers buckets, segments, testers)
from clients.admin_consent import ConsentEventInline
from clients.admin_reach import MARK_COLUMNS, UnreachableListFilter, clear_unreachable_marks, reach_summary
from clients.attribute_keys import attribute_keys_forget
from clients.consent import consent_set
from clients.deliverability import marks_for_new_addresses
from clients.forms import BucketChoiceForm, ClientAdminForm
from clients.importing.admin_view import import_view, upload_guard
from clients.importing.export import clients_csv_rows
from clients.models import Bucket, BucketMembership, Channel, Client
from clients.services import ClientValueError, bucket_add_clients, bucket_remove_clients, phone_normalize


class BucketListFilter(admin.SimpleListFilter):
    title = _("bucket")
    parameter_name = "bucket"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Bucket.objects.values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = str(self.value() or "")
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            return queryset
        return queryset.filter(Exists(BucketMembership.objects.filter(client=OuterRef("pk"), bucket_id=int(value))))


class ServicesListFilter(admin.SimpleListFilter):
    title = _("uses our services")
    parameter_name = "services"
    FILTERS = {
        "sms": Q(uses_sms_service=True),
        "email": Q(uses_email_service=True),
        "both": Q(uses_sms_service=True, uses_email_service=True),
        "sms_only": Q(uses_sms_service=True, uses_email_service=False),
        "email_only": Q(uses_sms_service=False, uses_email_service=True),
        "none": Q(uses_sms_service=False, uses_email_service=False),
    }

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, StrOrPromise]]:
        return [
            ("sms", _("SMS service")),
            ("email", _("Email service")),
            ("both", _("Both")),
            ("sms_only", _("SMS only")),
            ("email_only", _("Email only")),
            ("none", _("Neither")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        condition = self.FILTERS.get(str(self.value() or ""))
        return queryset.filter(condition) if condition is not None else queryset


class BucketMembershipInline(admin.TabularInline):
    model = BucketMembership
    fields = ("bucket", "added_at")
    readonly_fields = ("added_at",)
    extra = 0
    verbose_name = _("bucket")
    verbose_name_plural = _("buckets")


def _bucket_action(
    modeladmin: ClientAdmin, request: HttpRequest, queryset: QuerySet[Client], *, adding: bool
) -> TemplateResponse | None:
    """Ask which bucket, then add or remove every selected client in one statement."""
    form = BucketChoiceForm(request.POST if "apply" in request.POST else None)
    if form.is_valid():
        bucket = form.cleaned_data["bucket"]
        ids = queryset.values_list("pk", flat=True)
        if adding:
            count = bucket_add_clients(bucket=bucket, client_ids=ids)
            text = ngettext("%(n)d client added to %(bucket)s.", "%(n)d clients added to %(bucket)s.", count)
        else:
            count = bucket_remove_clients(bucket=bucket, client_ids=ids)
            text = ngettext("%(n)d client removed from %(bucket)s.", "%(n)d clients removed from %(bucket)s.", count)
        modeladmin.message_user(request, text % {"n": count, "bucket": bucket.name}, messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Add clients to a bucket") if adding else _("Remove clients from a bucket"),
        "opts": modeladmin.model._meta,
        "form": form,
        "count": queryset.count(),
        "sample": list(queryset[:10]),
        "action_name": "add_to_bucket" if adding else "remove_from_bucket",
        "selected": request.POST.getlist(ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "adding": adding,
    }
    return TemplateResponse(request, "admin/clients/client/bucket_action.html", context)


@admin.action(description=_("Add the selected clients to a bucket…"), permissions=["change"])
def add_to_bucket(modeladmin: ClientAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> TemplateResponse | None:
    return _bucket_action(modeladmin, request, queryset, adding=True)


@admin.action(description=_("Remove the selected clients from a bucket…"), permissions=["change"])
def remove_from_bucket(
    modeladmin: ClientAdmin, request: HttpRequest, queryset: QuerySet[Client]
) -> TemplateResponse | None:
    return _bucket_action(modeladmin, request, queryset, adding=False)


@admin.action(description=_("Export the selected clients as CSV (import columns)"), permissions=["export"])
def export_csv(modeladmin: ClientAdmin, request: HttpRequest, queryset: QuerySet[Client]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(clients_csv_rows(queryset), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="clients-{stamp}.csv"'
    return response


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    form = ClientAdminForm
    # Eight narrow columns (the account under the name, consent and marks in one): the list fits a 1366 px screen
    # beside the filters, without the navigation sidebar (change_list.html) — tests/clients/test_admin_browser.py.
    list_display = ("who", "external_ref", "email", "phone", "language", "services", "reach", "is_active")
    list_display_links = ("who", "external_ref")
    list_filter = (
        BucketListFilter,
        ServicesListFilter,
        "language",
        "is_active",
        "email_consent",
        "sms_consent",
        "viber_consent",
        "whatsapp_consent",
        "region",
        "plan",
        UnreachableListFilter,
    )
    search_fields = ("name", "email", "phone", "external_ref", "account")
    search_help_text = _("Name, email, mobile number (any format), reference or account.")
    actions = [add_to_bucket, remove_from_bucket, clear_unreachable_marks, export_csv]
    inlines = [BucketMembershipInline, ConsentEventInline]
    list_per_page = 50
    readonly_fields = (
        "email_opted_out_at",
        "email_opt_out_source",
        "sms_opted_out_at",
        "sms_opt_out_source",
        *admin_reach.OPT_IN_READONLY,
        "email_bounced_at",
        "email_bounce_reason",
        "phone_unreachable_at",
        "phone_unreachable_reason",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("external_ref", "name", "account")}),
        (_("Contact"), {"fields": ("email", "phone", "language", "time_zone")}),
        (_("Services"), {"fields": ("uses_sms_service", "uses_email_service", "is_active")}),
        (
            _("Consent"),
            {
                "fields": (
                    "email_consent",
                    "email_opted_out_at",
                    "email_opt_out_source",
                    "sms_consent",
                    "sms_opted_out_at",
                    "sms_opt_out_source",
                    *admin_reach.OPT_IN_CONSENT_FIELDS,
                    "muted_kinds",
                    "preferred_channel",
                )
            },
        ),
        (
            _("Unreachable addresses"),
            {
                "fields": (
                    "email_bounced_at",
                    "email_bounce_reason",
                    "phone_unreachable_at",
                    "phone_unreachable_reason",
                ),
                "classes": ("collapse",),
                "description": _(
                    "Set from the provider's delivery reports; a marked address gets no notice until it changes "
                    "(saving a new address clears its mark) or the mark is cleared from the client list."
                ),
            },
        ),
        (_("Segmentation"), {"fields": ("region", "network", "plan", "tags", "attributes")}),
        (_("Record"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    @admin.display(description=_("Name"), ordering="name")
    def who(self, client: Client) -> SafeString:
        if not client.account:
            return format_html("{}", client.name)
        return format_html('{}<br><span class="quiet">{}</span>', client.name, client.account)

    @admin.display(description=_("Services"))
    def services(self, client: Client) -> str:
        used = [name for name, flag in (("SMS", client.uses_sms_service), ("email", client.uses_email_service)) if flag]
        return " + ".join(used) or "—"

    @admin.display(description=_("Reachable by"))
    def reach(self, client: Client) -> str:
        """Each channel's consent and address state in one short cell: "SMS, email (bounced)"."""
        return reach_summary(client)

    def has_export_permission(self, request: HttpRequest) -> bool:
        """Exports hold every client's contact details: only those who may change clients get them."""
        return self.has_change_permission(request)

    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Client], search_term: str
    ) -> tuple[QuerySet[Client], bool]:
        """Also find a number typed nationally or with spaces ("06 12 34 56 78")."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term and sum(ch.isdigit() for ch in term) >= 6:
            try:
                phone = phone_normalize(term)
            except ClientValueError:
                phone = ""
            if phone:
                results = results | queryset.filter(phone=phone)
        return results, may_have_duplicates

    def save_model(self, request: HttpRequest, obj: Client, form: forms.ModelForm[Client], change: bool) -> None:
        """Save the client, then change consent through ``consent_set`` so the history records it; a new address
        loses the old one's bounce or unreachable mark."""
        wanted = {channel: form.cleaned_data[f"{channel}_consent"] for channel in Channel.values}
        if change:
            stored = Client.objects.filter(pk=obj.pk).values(*MARK_COLUMNS).get()
            for channel in Channel.values:
                setattr(obj, f"{channel}_consent", stored[f"{channel}_consent"])
            values = {"email": obj.email, "phone": obj.phone}
            marks_for_new_addresses(values, stored)
            for name, value in values.items():
                setattr(obj, name, value)
        else:  # the defaults, so that only a change from them is recorded: SMS and email opt-out, the rest opt-in
            obj.email_consent = obj.sms_consent = True
            obj.viber_consent = obj.whatsapp_consent = obj.webpush_consent = obj.apppush_consent = False
        super().save_model(request, obj, form, change)
        if "attributes" in form.changed_data:
            attribute_keys_forget()
        for channel, given in wanted.items():
            consent_set(
                client=obj,
                channel=channel,
                given=given,
                source="admin",
                detail=f"admin user {request.user.get_username()}",
            )

    def get_urls(self) -> list[URLPattern]:
        view = upload_guard(self, self.admin_site.admin_view(self.import_csv_view))
        urls = [path("import/", view, name="clients_client_import")]
        return urls + super().get_urls()

    def import_csv_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        return import_view(self, request)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "has_import_permission": self.has_import_permission(request)}
        return super().changelist_view(request, extra_context)

"""The client list's view of reachability: one "Reachable by" column, a filter for unreachable addresses, and the
action that clears their marks once an admin has checked the address (clients.deliverability)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.deliverability import address_marks_clear
from clients.models import Client

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# What saving a client compares with the stored row: its consent, its addresses and their marks.
# The opt-in channels' consent (clients.channels): the checkbox, then when and how the client opted out.
OPT_IN_CHANNELS = ("viber", "whatsapp", "webpush", "apppush")
OPT_IN_READONLY = tuple(
    f"{channel}_{name}" for channel in OPT_IN_CHANNELS for name in ("opted_out_at", "opt_out_source")
)
OPT_IN_CONSENT_FIELDS = tuple(
    f"{channel}_{name}" for channel in OPT_IN_CHANNELS for name in ("consent", "opted_out_at", "opt_out_source")
)
MARK_COLUMNS = (
    "email_consent",
    "sms_consent",
    "viber_consent",
    "whatsapp_consent",
    "webpush_consent",
    "apppush_consent",
    "email",
    "phone",
    "email_bounced_at",
    "email_bounce_reason",
    "phone_unreachable_at",
    "phone_unreachable_reason",
)


def reach_summary(client: Client) -> str:
    """ "SMS, email" when both work; a channel that cannot be used says why: "SMS (opted out), email (bounced)"."""
    parts = []
    for label, address, consent, marked, mark in (
        ("SMS", client.phone, client.sms_consent, client.phone_unreachable_at, "unreachable"),
        ("email", client.email, client.email_consent, client.email_bounced_at, "bounced"),
    ):
        if not address:
            continue
        problem = mark if marked else ("" if consent else "opted out")
        parts.append(f"{label} ({problem})" if problem else label)
    return ", ".join(parts) or "—"


class UnreachableListFilter(admin.SimpleListFilter):
    title = _("unreachable address")
    parameter_name = "unreachable"
    FILTERS = {
        "email": Q(email_bounced_at__isnull=False),
        "sms": Q(phone_unreachable_at__isnull=False),
        "any": Q(email_bounced_at__isnull=False) | Q(phone_unreachable_at__isnull=False),
    }

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, StrOrPromise]]:
        return [("any", _("Email or number")), ("email", _("Email bounced")), ("sms", _("Number unreachable"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        condition = self.FILTERS.get(str(self.value() or ""))
        return queryset.filter(condition) if condition is not None else queryset


@admin.action(description=_("Clear the bounced / unreachable marks (the address works again)"), permissions=["change"])
def clear_unreachable_marks(
    modeladmin: admin.ModelAdmin[Client], request: HttpRequest, queryset: QuerySet[Client]
) -> None:
    count = address_marks_clear(queryset)
    text = ngettext("%(n)d client can be reached again.", "%(n)d clients can be reached again.", count)
    modeladmin.message_user(request, text % {"n": count}, messages.SUCCESS)

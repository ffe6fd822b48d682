"""The names of the services clients use, in every portal language: what ``{{ service }}`` reads in a message.

An incident names its affected services in English ("SMS service"); a French client reads "Service SMS". Names
are data: an admin adds a service or the name in a newly configured language in the admin, no code involved. A
name without a translation in a language stays as written.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceName(models.Model):
    """One affected service as the outage form names it, with its name in other languages."""

    name = models.CharField(_("Name"), max_length=100, unique=True, help_text=_("As the outage form writes it."))
    translations = models.JSONField(
        _("Translations"), default=dict, blank=True, help_text=_('By language code, e.g. {"fr": "Service SMS"}.')
    )

    class Meta:
        app_label = "clients"
        ordering = ("name",)
        verbose_name = _("service name")
        verbose_name_plural = _("service names")

    def __str__(self) -> str:
        return self.name


def service_translations() -> dict[str, dict[str, str]]:
    """Every service name (case-folded) with its translations: ``{"sms service": {"fr": "Service SMS"}}``."""
    table: dict[str, dict[str, str]] = {}
    for name, translations in ServiceName.objects.values_list("name", "translations"):
        clean: dict[str, Any] = translations if isinstance(translations, dict) else {}
        table[name.casefold()] = {str(code): str(text) for code, text in clean.items() if str(text).strip()}
    return table

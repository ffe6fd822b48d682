"""The monitoring API's models: tokens with their own permissions, and how alerts map to audiences.

They depend on the notices' models (campaigns/models/notices.py), never the other way round.
"""

from __future__ import annotations

import functools

import re2
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models.notices import Campaign, Incident, IncidentKind, MessageTemplate
from clients.models import Bucket, Segment


class ApiToken(models.Model):
    """A machine's key to the API. Only a hash is stored; the token is shown once, when it is created."""

    name = models.CharField(_("name"), max_length=100, help_text=_("Who uses it, e.g. “Alertmanager prod”."))
    prefix = models.CharField(max_length=12, editable=False, help_text=_("First characters, to recognise it."))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    can_create_draft = models.BooleanField(_("can create drafts"), default=False)
    can_read_status = models.BooleanField(_("can read notice status"), default=False)
    # The company's app backend registers customers' devices for app notifications (docs/channels.md).
    can_register_devices = models.BooleanField(_("can register app devices"), default=False, db_default=False)
    can_send_without_review = models.BooleanField(
        _("can send without review"),
        default=False,
        help_text=_("Drafts it creates may be sent at once, without a person. Leave off unless agreed."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ("name", "id")
        verbose_name = _("API token")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AlertRoute(models.Model):
    """Which alerts (by label) open a draft for which audience, on which channels, with which template.

    Matchers are ``{"label": "value"}``; every one must match the alert group's labels. With ``match_regex`` the
    values are regular expressions that must match the whole label value. Routes are tried by ``priority``.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("Lower is tried first."))
    matchers = models.JSONField(
        _("label matchers"), default=dict, help_text=_('e.g. {"service": "fibre", "region": "North"}')
    )
    match_regex = models.BooleanField(_("values are regular expressions"), default=False)
    buckets = models.ManyToManyField(Bucket, blank=True, related_name="+", verbose_name=_("buckets"))
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("segment")
    )
    channels = models.JSONField(_("channels"), default=list, help_text=_('["sms", "email"]'))
    template = models.ForeignKey(
        MessageTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("template")
    )
    resolved_template = models.ForeignKey(
        MessageTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("template when resolved"),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=IncidentKind.choices, default=IncidentKind.OUTAGE)
    send_without_review = models.BooleanField(
        _("send without review"),
        default=False,
        help_text=_("Only honoured for a token allowed to send without review."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ("priority", "id")
        verbose_name = _("alert route")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        problems = alert_matcher_problems(self.matchers, regex=self.match_regex)
        if problems:  # not keyed by field: the list page edits routes with a form that has no 'matchers'
            raise ValidationError([f"{_('Label matchers')}: {problem}" for problem in problems])

    def matches(self, labels: dict) -> bool:
        """Every matcher holds. Regular expressions run on RE2: linear in the label, never backtracking."""
        for label, expected in (self.matchers or {}).items():
            actual = labels.get(label)
            if actual is None:
                return False
            if self.match_regex:
                pattern, value = _alert_pattern(str(expected)), str(actual)
                if pattern is None or len(value) > MAX_LABEL_LENGTH or pattern.fullmatch(value) is None:
                    return False
            elif str(expected) != str(actual):
                return False
        return True


MAX_PATTERN_LENGTH = 500
MAX_LABEL_LENGTH = 10_000
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False
_RE2_OPTIONS.max_mem = 1 << 20  # one pattern's compiled program; larger patterns are refused


def _re2_compile(pattern: str) -> re2._Regexp:
    return re2.compile(pattern, options=_RE2_OPTIONS)


@functools.lru_cache(maxsize=512)
def _alert_pattern(pattern: str) -> re2._Regexp | None:
    """The compiled pattern, or None for one RE2 refuses (a route saved before the check matches nothing)."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return None
    try:
        return _re2_compile(pattern)
    except re2.error:
        return None


def alert_matcher_problems(matchers: object, *, regex: bool) -> list[str]:
    """What is wrong with a route's matchers, for the admin: each label's value, and with ``regex`` its pattern.

    Patterns use RE2's syntax (Python's without back-references and look-around), so matching takes time linear in
    the label whatever the pattern; a pattern RE2 cannot run is refused here rather than ignored at alert time.
    """
    if not isinstance(matchers, dict):
        return [str(_('must be an object of label: value, e.g. {"service": "fibre"}'))]
    problems = []
    for label, expected in matchers.items():
        if not isinstance(expected, str | int | float) or isinstance(expected, bool):
            problems.append(f"'{label}': {_('the value must be text')}")
        elif regex and len(str(expected)) > MAX_PATTERN_LENGTH:
            problems.append(f"'{label}': {_('a pattern has at most %(n)d characters') % {'n': MAX_PATTERN_LENGTH}}")
        elif regex:
            try:
                _re2_compile(str(expected))
            except re2.error as error:
                reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
                problems.append(
                    f"'{label}': {reason}. "
                    + str(_("Back-references and look-around are not supported (RE2 syntax, linear time)."))
                )
    return problems


class AlertLink(models.Model):
    """An Alertmanager alert group and the incident and draft it opened, so repeats and resolutions find them."""

    group_key = models.CharField(max_length=500, db_index=True)
    route = models.ForeignKey(AlertRoute, null=True, on_delete=models.SET_NULL, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    resolved_campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fired_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-fired_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["group_key"], condition=models.Q(resolved_at__isnull=True), name="unique_open_alert_group"
            ),
        ]

    def __str__(self) -> str:
        return self.group_key

"""Alertmanager webhooks (payload version 4) → draft notices.

A firing alert group opens one incident and one draft, for the audience of the first ``AlertRoute`` whose matchers
fit the group's common labels. Alertmanager repeats a group while it fires; the repeats find the draft already
made (``AlertLink``) and change nothing. When the group resolves, a "resolved" follow-up of the incident's last
notice is drafted, for exactly the people that notice reached.

Payload: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from campaigns.api.notices import api_notice_confirm
from campaigns.api.validation import Reader, storable_text
from campaigns.models import AlertLink, AlertRoute, ApiToken, Campaign, IncidentKind, Severity
from campaigns.selectors.state import FOLLOW_UP_FROM, campaign_state
from campaigns.services.door import NoticeSpec, Origin, notice_submit
from campaigns.services.drafts import campaign_draft_create, campaign_message_update
from campaigns.services.followups import campaign_follow_up
from campaigns.services.variables import template_content

# Alertmanager's customary severities → the incident's.
SEVERITY_FROM_LABEL = {
    "critical": Severity.CRITICAL,
    "page": Severity.CRITICAL,
    "error": Severity.MAJOR,
    "major": Severity.MAJOR,
    "warning": Severity.MINOR,
    "minor": Severity.MINOR,
    "info": Severity.INFO,
    "none": Severity.INFO,
}


@dataclass
class Alert:
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None = None


@dataclass
class AlertGroup:
    status: str
    group_key: str
    group_labels: dict
    common_labels: dict
    common_annotations: dict
    external_url: str
    alerts: list[Alert] = field(default_factory=list)

    @property
    def labels(self) -> dict:
        """The labels every alert of the group shares: what routes match against."""
        return {**self.group_labels, **self.common_labels}


def _labels(reader: Reader, value: Any, path: str) -> dict:
    if value is None:
        return {}
    data = reader.object(value, path)
    if data is None:
        return {}
    labels = {}
    for key, item in data.items():
        text = reader.string(item, f"{path}.{key}", max_length=2000)
        if text is None:
            continue
        if not storable_text(key) or len(key) > 200:
            reader.error(f"{path}.{key!r}", "Label names must be short Unicode text.")
            continue
        labels[key] = text
    return labels


def alert_group_read(payload: Any) -> AlertGroup:
    """Validate an Alertmanager webhook body; raises ApiValidationError listing every problem."""
    reader = Reader()
    data = reader.root(payload)
    version = data.get("version")
    if version is not None and version != "4":
        reader.error("version", "Only Alertmanager webhook payload version 4 is understood.")
    status = reader.string(data.get("status"), "status", max_length=10, required=True, choices=("firing", "resolved"))
    group_key = reader.string(data.get("groupKey"), "groupKey", max_length=500, required=True, blank=False)
    alerts_raw = reader.array(data.get("alerts"), "alerts", max_items=1000, required=True) or []
    alerts = []
    for index, item in enumerate(alerts_raw):
        path = f"alerts[{index}]"
        alert = reader.object(item, path)
        if alert is None:
            continue
        alerts.append(
            Alert(
                status=reader.string(
                    alert.get("status"), f"{path}.status", max_length=10, required=True, choices=("firing", "resolved")
                )
                or "",
                labels=_labels(reader, alert.get("labels"), f"{path}.labels"),
                annotations=_labels(reader, alert.get("annotations"), f"{path}.annotations"),
                starts_at=reader.moment(alert.get("startsAt"), f"{path}.startsAt") if alert.get("startsAt") else None,
            )
        )
    group = AlertGroup(
        status=status or "",
        group_key=group_key or "",
        group_labels=_labels(reader, data.get("groupLabels"), "groupLabels"),
        common_labels=_labels(reader, data.get("commonLabels"), "commonLabels"),
        common_annotations=_labels(reader, data.get("commonAnnotations"), "commonAnnotations"),
        external_url=reader.string(data.get("externalURL"), "externalURL", max_length=2000) or "",
        alerts=alerts,
    )
    reader.raise_if_errors()
    return group


def alert_route_for(labels: dict) -> AlertRoute | None:
    """The first active route, by priority, whose matchers all fit ``labels``."""
    for route in AlertRoute.objects.filter(active=True).order_by("priority", "id"):
        if route.matches(labels):
            return route
    return None


def _route_audience(route: AlertRoute) -> dict:
    audience: dict = {}
    bucket_ids = sorted(route.buckets.values_list("pk", flat=True))
    if bucket_ids:
        audience["buckets"] = bucket_ids
    if route.segment_id:
        audience["segment"] = route.segment_id
    return audience


def _incident_fields(group: AlertGroup, route: AlertRoute) -> dict:
    labels = group.labels
    first = next((alert for alert in group.alerts if alert.status == "firing"), None)
    annotations = group.common_annotations or (first.annotations if first else {})
    title = (
        annotations.get("summary")
        or labels.get("alertname")
        or (first.labels.get("alertname") if first else "")
        or "Alert"
    )[:200]
    starts = [alert.starts_at for alert in group.alerts if alert.starts_at is not None]
    names = sorted({alert.labels.get("alertname", "") for alert in group.alerts} - {""})
    note_lines = [f"Opened by Alertmanager, route “{route.name}”.", f"Alerts: {', '.join(names) or '(unnamed)'}."]
    if annotations.get("description"):
        note_lines.append(annotations["description"])
    if group.external_url:
        note_lines.append(f"Alertmanager: {group.external_url}")
    fields = {
        "title": title,
        "kind": route.kind,
        "severity": SEVERITY_FROM_LABEL.get(labels.get("severity", "").lower(), Severity.MAJOR),
        "internal_note": "\n".join(note_lines)[:5000],
        "services": [labels["service"]] if labels.get("service") else [],
    }
    if starts:
        fields["started_at"] = min(starts)
    return fields


@dataclass
class AlertOutcome:
    action: str  # drafted | existing | resolved_drafted | ignored
    campaign: Campaign | None = None
    reason: str = ""
    sent: bool = False
    send_error: str = ""


def _maybe_send(outcome: AlertOutcome, *, token: ApiToken, route: AlertRoute | None) -> AlertOutcome:
    if outcome.campaign is None or route is None or not route.send_without_review:
        return outcome
    if not token.can_send_without_review:
        outcome.send_error = "The route sends without review, but this token may not; the draft waits for a person."
        return outcome
    outcome.sent, outcome.send_error = api_notice_confirm(campaign=outcome.campaign, token=token)
    outcome.campaign.refresh_from_db()
    return outcome


class _GroupRaced(Exception):
    """Another request opened this alert group's draft at the same moment."""


def _open_link(group_key: str) -> AlertLink | None:
    return AlertLink.objects.select_related("campaign").filter(group_key=group_key, resolved_at__isnull=True).first()


@transaction.atomic
def _firing(group: AlertGroup, token: ApiToken) -> AlertOutcome:
    existing = (
        AlertLink.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .filter(group_key=group.group_key, resolved_at__isnull=True)
        .first()
    )
    if existing is not None:
        return AlertOutcome(action="existing", campaign=existing.campaign)
    route = alert_route_for(group.labels)
    if route is None:
        return AlertOutcome(action="ignored", reason="No alert route matches the group's labels.")
    fields = _incident_fields(group, route)
    spec = NoticeSpec(
        title=fields["title"],
        kind=route.kind,
        audience=_route_audience(route),
        channels=list(route.channels),
        template=route.template,
        incident_fields=fields,
    )
    origin = Origin(source=Campaign.Source.ALERT, detail=f"route “{route.name}”, token “{token.name}”")
    campaign = notice_submit(spec=spec, origin=origin).campaign
    try:
        with transaction.atomic():
            AlertLink.objects.create(
                group_key=group.group_key, route=route, incident=campaign.incident, campaign=campaign
            )
    except IntegrityError as exc:  # the same group arrived twice at once: drop this draft, keep the other
        raise _GroupRaced from exc
    return _maybe_send(AlertOutcome(action="drafted", campaign=campaign), token=token, route=route)


def _last_notice(link: AlertLink) -> Campaign:
    return (
        Campaign.objects.filter(incident=link.incident)
        .exclude(kind=IncidentKind.RESOLVED)
        .order_by("-created_at", "-id")
        .first()
    ) or link.campaign


@transaction.atomic
def _resolved(group: AlertGroup, token: ApiToken) -> AlertOutcome:
    link = (
        AlertLink.objects.select_for_update(of=("self",))
        .select_related("route", "incident", "campaign")
        .filter(group_key=group.group_key, resolved_at__isnull=True)
        .first()
    )
    if link is None:
        return AlertOutcome(action="ignored", reason="No open alert group with this key.")
    parent = _last_notice(link)
    detail = f"resolved, token “{token.name}”"
    if campaign_state(parent) in FOLLOW_UP_FROM:
        draft = campaign_follow_up(
            campaign=parent, kind=IncidentKind.RESOLVED, source=Campaign.Source.ALERT, source_detail=detail
        )
    else:  # nobody was told yet: a person decides whether a resolved notice is still worth sending
        draft = campaign_draft_create(
            incident=link.incident,
            kind=IncidentKind.RESOLVED,
            title=f"Resolved: {link.incident.title}"[:200],
            audience=dict(parent.audience),
            channels=list(parent.channels),
            variables=dict(parent.variables),
            parent=parent,
            source=Campaign.Source.ALERT,
            source_detail=detail,
        )
    template = link.route.resolved_template if link.route else None
    if template is not None:
        content = template_content(template)
        draft = campaign_message_update(
            campaign=draft,
            content=content,
            fallback_language=draft.fallback_language,
            variables={},
            sms_stop_line=template.sms_stop_line,
            template=template,
            actor=None,
        )
    link.resolved_at = timezone.now()
    link.resolved_campaign = draft
    link.save(update_fields=["resolved_at", "resolved_campaign"])
    return _maybe_send(AlertOutcome(action="resolved_drafted", campaign=draft), token=token, route=link.route)


def alertmanager_receive(*, token: ApiToken, group: AlertGroup) -> AlertOutcome:
    """Turn one webhook call (one alert group) into at most one draft."""
    if group.status == "firing":
        try:
            return _firing(group, token)
        except _GroupRaced:
            link = _open_link(group.group_key)
            return AlertOutcome(action="existing", campaign=link.campaign if link else None)
    return _resolved(group, token)

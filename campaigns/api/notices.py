"""Draft notices requested by machines: read the request, create the draft, and say how the notice is doing.

A draft waits for a person in the outage form. Only a token with ``can_send_without_review`` may ask for it to go
out at once, and even then the usual checks apply (content valid, someone reachable, the approval threshold).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from campaigns.api.validation import Reader
from campaigns.models import ApiToken, Campaign, Incident, IncidentKind, MessageTemplate, Severity
from campaigns.selectors.state import campaign_main_send, campaign_state
from campaigns.services.door import NoticeSpec, Origin, campaign_confirm, notice_submit
from campaigns.services.starting import CampaignAlreadySent, CampaignNotReady
from clients.models import Bucket, BuiltinAudience, Channel, Segment
from notifications.content import SEND_VARIABLES
from notifications.selectors import send_progress_of

NOTICE_FIELDS = ("title", "kind", "incident", "incident_id", "audience", "channels", "template", "variables", "send")
INCIDENT_FIELDS = ("title", "services", "started_at", "expected_resolution_at", "severity", "internal_note")
AUDIENCE_FIELDS = ("buckets", "segment", "builtin")


class SendNotAllowed(Exception):
    """The token may create drafts but not send them without a person."""


@dataclass
class NoticeRequest:
    title: str
    kind: str
    channels: list[str]
    audience: dict[str, Any]
    incident: Incident | None = None
    incident_fields: dict[str, Any] = field(default_factory=dict)
    template: MessageTemplate | None = None
    variables: dict[str, str] = field(default_factory=dict)
    send: bool = False


def _bucket(reader: Reader, value: Any, path: str) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        bucket_id = reader.identifier(value, path)
        if bucket_id is not None and not Bucket.objects.filter(pk=bucket_id).exists():
            reader.error(path, f"No bucket with id {bucket_id}.")
            return None
        return bucket_id
    name = reader.string(value, path, max_length=100, blank=False)
    if name is None:
        return None
    found = Bucket.objects.filter(name=name).values_list("pk", flat=True).first()
    found = found or Bucket.objects.filter(slug=name).values_list("pk", flat=True).first()
    if found is None:
        reader.error(path, f"No bucket named {name!r}.")
    return found


def _segment(reader: Reader, value: Any, path: str) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        segment_id = reader.identifier(value, path)
        if segment_id is not None and not Segment.objects.filter(pk=segment_id).exists():
            reader.error(path, f"No segment with id {segment_id}.")
            return None
        return segment_id
    name = reader.string(value, path, max_length=100, blank=False)
    if name is None:
        return None
    found = Segment.objects.filter(name=name).values_list("pk", flat=True).first()
    if found is None:
        reader.error(path, f"No segment named {name!r}.")
    return found


def audience_read(reader: Reader, value: Any, path: str = "audience") -> dict:
    """Buckets (ids or names), a segment (id or name) and built-in audiences → an audience definition."""
    data = reader.object(value, path)
    if data is None:
        return {}
    reader.unknown_keys(data, AUDIENCE_FIELDS, path)
    definition: dict = {}
    buckets = reader.array(data.get("buckets"), f"{path}.buckets", max_items=200)
    if buckets is not None:
        ids = [_bucket(reader, item, f"{path}.buckets[{index}]") for index, item in enumerate(buckets)]
        definition["buckets"] = sorted({bucket_id for bucket_id in ids if bucket_id is not None})
    if data.get("segment") is not None:
        segment_id = _segment(reader, data["segment"], f"{path}.segment")
        if segment_id is not None:
            definition["segment"] = segment_id
    builtin = reader.array(data.get("builtin"), f"{path}.builtin", max_items=3)
    if builtin is not None:
        names = [
            reader.string(
                item, f"{path}.builtin[{index}]", max_length=20, blank=False, choices=tuple(BuiltinAudience.values)
            )
            for index, item in enumerate(builtin)
        ]
        definition["builtin"] = sorted({name for name in names if name})
    if not any(data.get(key) not in (None, []) for key in AUDIENCE_FIELDS):
        reader.error(path, "Give at least one of buckets, segment or builtin.")
    return definition


def channels_read(reader: Reader, value: Any, path: str = "channels") -> list[str]:
    items = reader.array(value, path, max_items=10, required=True)
    if items is None:
        return []
    channels = [
        reader.string(item, f"{path}[{index}]", max_length=8, blank=False, choices=tuple(Channel.values))
        for index, item in enumerate(items)
    ]
    if not items:
        reader.error(path, "Choose at least one channel.")
    return list(dict.fromkeys(channel for channel in channels if channel))


def variables_read(reader: Reader, value: Any, path: str = "variables") -> dict:
    if value is None:
        return {}
    data = reader.object(value, path)
    if data is None:
        return {}
    variables = {}
    for key, item in data.items():
        if key not in SEND_VARIABLES:
            reader.error(f"{path}.{key}", f"Unknown variable; use: {', '.join(SEND_VARIABLES)}.")
            continue
        text = reader.string(item, f"{path}.{key}", max_length=500)
        if text is not None:
            variables[key] = text
    return variables


def template_read(reader: Reader, value: Any, path: str = "template") -> MessageTemplate | None:
    name = reader.string(value, path, max_length=100, blank=False)
    if name is None:
        return None
    template = MessageTemplate.objects.filter(name=name).first()
    if template is None:
        reader.error(path, f"No message template named {name!r}.")
    return template


def _incident_fields(reader: Reader, value: Any, path: str = "incident") -> dict:
    if value is None:
        return {}
    data = reader.object(value, path)
    if data is None:
        return {}
    reader.unknown_keys(data, INCIDENT_FIELDS, path)
    fields: dict = {}
    title = reader.string(data.get("title"), f"{path}.title", max_length=200, blank=False)
    if title:
        fields["title"] = title
    services = reader.array(data.get("services"), f"{path}.services", max_items=20)
    if services is not None:
        names = [
            reader.string(item, f"{path}.services[{index}]", max_length=100, blank=False)
            for index, item in enumerate(services)
        ]
        fields["services"] = [name for name in names if name]
    for key in ("started_at", "expected_resolution_at"):
        moment = reader.moment(data.get(key), f"{path}.{key}")
        if moment is not None:
            fields[key] = moment
    severity = reader.string(data.get("severity"), f"{path}.severity", max_length=10, choices=tuple(Severity.values))
    if severity:
        fields["severity"] = severity
    note = reader.string(data.get("internal_note"), f"{path}.internal_note", max_length=5000)
    if note:
        fields["internal_note"] = note
    return fields


def notice_request_read(payload: Any) -> NoticeRequest:
    """Validate a POST /api/v1/notices body; raises ApiValidationError listing every problem."""
    reader = Reader()
    data = reader.root(payload)
    reader.unknown_keys(data, NOTICE_FIELDS)
    title = reader.string(data.get("title"), "title", max_length=200, required=True)
    kind = reader.string(data.get("kind"), "kind", max_length=16, choices=tuple(IncidentKind.values))
    incident = None
    if data.get("incident_id") is not None:
        incident_id = reader.identifier(data["incident_id"], "incident_id")
        incident = Incident.objects.filter(pk=incident_id).first() if incident_id else None
        if incident_id and incident is None:
            reader.error("incident_id", f"No incident with id {incident_id}.")
        if data.get("incident") is not None:
            reader.error("incident", "Give incident fields or incident_id, not both.")
    request = NoticeRequest(
        title=title or "",
        kind=kind or (incident.kind if incident else IncidentKind.OUTAGE),
        channels=channels_read(reader, data.get("channels")),
        audience=audience_read(reader, data.get("audience"), "audience") if "audience" in data else {},
        incident=incident,
        incident_fields=_incident_fields(reader, data.get("incident")),
        template=template_read(reader, data.get("template")),
        variables=variables_read(reader, data.get("variables")),
        send=reader.boolean(data.get("send"), "send"),
    )
    if "audience" not in data:
        reader.error("audience", "This field is required.")
    reader.raise_if_errors()
    return request


@dataclass
class NoticeResult:
    campaign: Campaign
    sent: bool = False
    send_error: str = ""


def api_notice_confirm(*, campaign: Campaign, token: ApiToken) -> tuple[bool, str]:
    """Send a draft without review through the door, for a token allowed to; returns (sent, why not)."""
    if not token.can_send_without_review:
        raise SendNotAllowed("This token may not send without review.")
    try:
        campaign = campaign_confirm(campaign=campaign, actor=None)
    except (CampaignNotReady, CampaignAlreadySent) as exc:
        return False, str(exc)
    return _went_out(campaign)


def _went_out(campaign: Campaign) -> tuple[bool, str]:
    """Confirmed is not sent: above the threshold the notice waits for a person's approval, like any other."""
    if campaign.state == Campaign.State.AWAITING_APPROVAL:
        return False, (
            f"It waits for a second person's approval: {campaign.audience_size} recipients is above the approval "
            f"threshold of {settings.APPROVAL_THRESHOLD}. The approvers were told."
        )
    return True, ""


def api_notice_create(*, token: ApiToken, request: NoticeRequest) -> NoticeResult:
    """Record the notice the request describes through the door and, when asked and allowed, send it."""
    if request.send and not token.can_send_without_review:
        raise SendNotAllowed("This token may create drafts but not send them without review.")
    spec = NoticeSpec(
        title=request.title,
        kind=request.kind,
        audience=request.audience,
        channels=request.channels,
        template=request.template,
        variables=request.variables,
        incident=request.incident,
        incident_fields=request.incident_fields,
    )
    origin = Origin(source=Campaign.Source.API, detail=f"token “{token.name}”")
    submitted = notice_submit(spec=spec, origin=origin, confirm=request.send)
    if not submitted.confirmed:
        return NoticeResult(campaign=submitted.campaign, send_error=submitted.problem)
    sent, why_not = _went_out(submitted.campaign)
    return NoticeResult(campaign=submitted.campaign, sent=sent, send_error=why_not)


def _absolute(name: str, *args: object) -> str | None:
    try:
        return settings.PORTAL_BASE_URL + reverse(name, args=args)
    except NoReverseMatch:
        return None


def notice_urls(campaign: Campaign) -> dict:
    return {
        "self": _absolute("api:notice", campaign.pk),
        "edit": _absolute("campaigns:wizard", campaign.pk, campaign.wizard_step),
        "detail": _absolute("campaigns:detail", campaign.pk),
    }


def notice_summary(campaign: Campaign) -> dict:
    """What the API answers about a notice: identity, state, incident and links."""
    return {
        "id": campaign.pk,
        "title": campaign.title,
        "kind": campaign.kind,
        "state": campaign_state(campaign),
        "source": campaign.source,
        "incident": {"id": campaign.incident_id, "title": campaign.incident.title, "status": campaign.incident.status},
        "channels": list(campaign.channels),
        "audience": campaign.audience,
        "created_at": campaign.created_at.isoformat(),
        "sent_at": campaign.sent_at.isoformat() if campaign.sent_at else None,
        "urls": notice_urls(campaign),
    }


def notice_status(campaign: Campaign) -> dict:
    """The summary plus the main send's progress (null until it is sent)."""
    send = campaign_main_send(campaign)
    progress = send_progress_of(send).as_dict() if send is not None else None
    return {**notice_summary(campaign), "audience_size": campaign.audience_size, "progress": progress}

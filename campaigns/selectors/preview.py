"""What the outage form's last steps show about a draft: its audience and schedule in words, real recipients'
messages rendered exactly as the dispatch will render them, the recipients list, and the latest test's outcome."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from campaigns.models import Campaign, CampaignSend
from campaigns.services.reach import campaign_notice_kind
from campaigns.services.variables import send_variables
from clients.models import Bucket, BuiltinAudience, Channel, Segment, TestRecipient
from clients.selectors import audience_queryset, exclusion_reason
from notifications.content import render_message
from notifications.models import Message

SAMPLES_PER_LANGUAGE = 2
RECIPIENTS_PER_PAGE = 20
REASON_LABELS = dict(Message.SkipReason.choices)


def follow_up_note(campaign: Campaign) -> str:
    if campaign.parent_id is None or campaign.parent is None:
        return ""
    size = len(campaign.audience.get("clients") or [])
    return f"Same recipients as “{campaign.parent.title}” ({size} clients)"


def audience_text(campaign: Campaign) -> str:
    """The audience in words: 'SMS clients; buckets Paris region; segment VIPs; 12 listed clients; 2 conditions'."""
    follow_up = follow_up_note(campaign)
    if follow_up:
        return follow_up
    audience, parts = campaign.audience or {}, []
    labels = dict(BuiltinAudience.choices)
    if audience.get("builtin"):
        parts.append(", ".join(str(labels.get(name, name)) for name in audience["builtin"]))
    if audience.get("buckets"):
        names = Bucket.objects.filter(pk__in=audience["buckets"]).values_list("name", flat=True)
        parts.append("bucket " + ", ".join(names))
    if audience.get("segment"):
        parts.append("segment " + str(Segment.objects.filter(pk=audience["segment"]).first() or audience["segment"]))
    if audience.get("clients"):
        parts.append(f"{len(audience['clients'])} listed clients")
    if audience.get("conditions"):
        parts.append(f"{len(audience['conditions'])} condition(s), match {audience.get('match', 'all')}")
    return "; ".join(parts)


def schedule_text(campaign: Campaign) -> str:
    def local(value: Any) -> str:
        value = timezone.localtime(value)
        return f"{value:%a %d %b %Y, %H:%M} ({value.tzname()})"

    if campaign.send_mode == Campaign.SendMode.AT and campaign.send_at:
        return f"At {local(campaign.send_at)}"
    if campaign.send_mode == Campaign.SendMode.REPEAT and campaign.repeat_every_hours:
        start = local(campaign.send_at) if campaign.send_at else "now"
        until = local(campaign.repeat_until) if campaign.repeat_until else "?"
        return f"First {start}, then every {campaign.repeat_every_hours} h until {until}"
    return "Now, as soon as you confirm"


def recipient_samples(campaign: Campaign) -> list[dict[str, Any]]:
    """A few real recipients per language and channel, rendered exactly as the dispatch will render them."""
    kind = campaign_notice_kind(campaign)
    samples = []
    own_languages = list(campaign.content)
    for channel in campaign.channels:
        eligible = (
            audience_queryset(campaign.audience)
            .annotate(reason=exclusion_reason(channel, notice_kind=kind, mandatory=campaign.mandatory))
            .filter(reason="")
        )
        groups = [(language, eligible.filter(language=language)) for language in own_languages]
        groups.append((None, eligible.exclude(language__in=own_languages)))
        for language, queryset in groups:
            for client in queryset.order_by("pk")[:SAMPLES_PER_LANGUAGE]:
                rendered = render_message(
                    content=campaign.content,
                    language=client.language,
                    fallback_language=campaign.fallback_language,
                    channel=channel,
                    recipient=client,
                    variables=send_variables(campaign),  # uxreg: the preview reads times as the client will
                    sms_stop_line=campaign.sms_stop_line,
                )
                samples.append(
                    {
                        "channel": channel,
                        "client": client,
                        "rendered": rendered,
                        "group": language or f"other languages → {campaign.fallback_language}",
                    }
                )
    return samples


def sample_tabs(samples: list[dict[str, Any]], languages: dict[str, str]) -> list[dict[str, Any]]:
    """The samples as tabs, one per language (then 'other languages') and channel: each language's SMS, then email."""
    tabs: dict[str, dict[str, Any]] = {}
    for sample in samples:
        group, channel = str(sample["group"]), str(sample["channel"])
        reads = str(sample["rendered"].language)
        own = group in languages
        name = languages[group] if own else f"Other languages → {languages.get(reads, reads)}"
        key = f"{group if own else 'other'}-{channel}"
        label = f"{name} · {Channel(channel).label}"
        tab = tabs.setdefault(key, {"key": key, "label": label, "channel": channel, "group": group, "samples": []})
        tab["samples"].append(sample)
    groups = list(dict.fromkeys(tab["group"] for tab in tabs.values()))
    channels = tuple(Channel.values)
    return sorted(tabs.values(), key=lambda tab: (groups.index(tab["group"]), channels.index(tab["channel"])))


def recipients_context(campaign: Campaign, params: QueryDict, search: str) -> dict[str, Any]:
    """The first recipients the audience matches, searchable and paginated, and why any channel excludes them."""
    kind = campaign_notice_kind(campaign)
    reasons = {
        f"reason_{channel}": exclusion_reason(channel, notice_kind=kind, mandatory=campaign.mandatory)
        for channel in campaign.channels
    }
    queryset = audience_queryset(campaign.audience).annotate(**reasons).order_by("name", "pk")
    if search:
        queryset = queryset.filter(
            Q(name__icontains=search)
            | Q(account__icontains=search)
            | Q(external_ref__icontains=search)
            | Q(email__icontains=search)
            | Q(phone__icontains=search)
        )
    page = Paginator(queryset, RECIPIENTS_PER_PAGE).get_page(params.get("page"))
    rows = [
        {
            "client": client,
            "channels": [
                (channel, REASON_LABELS.get(getattr(client, f"reason_{channel}"), "")) for channel in campaign.channels
            ],
        }
        for client in page.object_list
    ]
    return {"campaign": campaign, "page": page, "rows": rows, "search": search}


def latest_test_summary(campaign: Campaign) -> dict[str, Any] | None:
    """The latest test send: each colleague's message with the language and channel they got, and how it went."""
    link = CampaignSend.objects.filter(campaign=campaign, role=CampaignSend.Role.TEST).order_by("-id").first()
    if link is None:
        return None
    rows = list(Message.objects.filter(send_id=link.send_id).select_related("test_recipient").order_by("id"))
    names = dict(settings.LANGUAGES)
    for row in rows:
        row.language_name = names.get(row.language, row.language)  # type: ignore[attr-defined]
    return {
        "send": link.send,
        "messages": rows,
        "delivered": sum(m.state == Message.State.DELIVERED for m in rows),
        "failed": sum(m.is_final and m.state != Message.State.DELIVERED for m in rows),
        "pending": sum(not m.is_final for m in rows),
        "total": len(rows),
    }


def test_language_note(campaign: Campaign) -> str:
    """Which of the notice's languages no active colleague reads (their text is not tested), in words."""
    written = [language for language in campaign.content if language]
    read = set(TestRecipient.objects.filter(is_active=True).values_list("language", flat=True))
    missing = [language for language in written if language not in read]
    if not written or not missing:
        return ""
    names = dict(settings.LANGUAGES)
    listed = ", ".join(str(names.get(language, language)) for language in missing)
    return (
        f"No colleague here reads {listed}: each gets the text of their own language, so check {listed} on the preview."
    )


test_language_note.__test__ = False  # type: ignore[attr-defined]

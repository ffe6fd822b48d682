"""What customers answered a notice: its replies (newest first), how many, and the tally of its one-tap question.

A reply belongs to a notice through the message it answers (``notifications/replies/match.py``): any message of
the notice's main send or reminders; replies of internal test recipients stay with the test sends and are not
counted. Numbers are shown whole only to staff with the privacy permission (``notifications/privacy.py``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin
from django.db.models import Count, QuerySet
from django.utils import timezone
from django.utils.dateformat import format as date_format

from campaigns.models import Campaign, CampaignSend
from notifications.masking import mask_for_people
from notifications.models import Reply
from notifications.privacy import EXPORT_PERMISSION
from notifications.replies.parse import answer_of

REPLIES_SHOWN = 50
MAX_OPTIONS = 6


def reply_options(campaign: Campaign) -> list[dict[str, str]]:
    """The question's answers as stored ([{"key": "1", "label": …}]), keys normalised like replies' answers."""
    options = []
    for option in campaign.reply_options if isinstance(campaign.reply_options, list) else []:
        if isinstance(option, dict) and answer_of(str(option.get("key", ""))):
            options.append({"key": answer_of(str(option["key"])), "label": str(option.get("label", ""))[:80]})
    return options[:MAX_OPTIONS]


def notice_replies_queryset(campaign: Campaign) -> QuerySet[Reply]:
    sends = CampaignSend.objects.filter(campaign=campaign).exclude(role=CampaignSend.Role.TEST).values("send_id")
    return Reply.objects.filter(message__send_id__in=sends)


def sees_numbers(user: AbstractBaseUser | AnonymousUser) -> bool:
    return isinstance(user, PermissionsMixin) and user.is_active and user.has_perm(EXPORT_PERMISSION)


def notice_replies(campaign: Campaign, user: AbstractBaseUser | AnonymousUser) -> dict[str, Any]:
    """Counts, tally and the latest replies, as the notice page shows them and its script reads them (JSON-safe)."""
    replies = notice_replies_queryset(campaign)
    by_answer = {row["answer"]: row["n"] for row in replies.order_by().values("answer").annotate(n=Count("id"))}
    options = reply_options(campaign)
    answered = sum(by_answer.get(option["key"], 0) for option in options)
    total = sum(by_answer.values())
    full = sees_numbers(user)
    latest = replies.order_by("-received_at", "-id").select_related("client")[:REPLIES_SHOWN]
    return {
        "count": total,
        "question": campaign.reply_question,
        "tally": [
            {
                **option,
                "count": by_answer.get(option["key"], 0),
                "percent": round(100 * by_answer.get(option["key"], 0) / answered) if answered else 0,
            }
            for option in options
        ],
        "other": total - answered if options else total,
        "masked": not full,
        "replies": [
            {
                "id": reply.pk,
                "at": reply.received_at.isoformat(),
                "shown_at": date_format(timezone.localtime(reply.received_at), "j M H:i"),
                "channel": reply.channel,
                "sender": reply.sender if full else mask_for_people(reply.sender),
                "client": reply.client.name if reply.client and full else "",
                "text": reply.text,
                "keyword": reply.get_keyword_display() if reply.keyword else "",
            }
            for reply in latest
        ],
    }

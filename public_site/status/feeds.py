"""Atom (RFC 4287, written by Django's ``Atom1Feed``) and JSON Feed 1.1 documents of the status page and of each
incident. Times are UTC (RFC 3339); texts are in the requested language; links are absolute on PORTAL_BASE_URL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.urls import reverse
from django.utils import feedgenerator
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import override

from public_site.status.pages import IncidentView, UpdateView, absolute, query
from public_site.status.variant import Variant

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def _tag(suffix: str, at: datetime) -> str:
    """A tag URI (RFC 4151): stable, unique, and naming no database id."""
    host = urlsplit(absolute("/")).hostname or "localhost"
    return f"tag:{host},{at:%Y-%m-%d}:{suffix}"


def _update_html(update: UpdateView) -> str:
    return f"<p><strong>{escape(update.state_label)}</strong></p>{linebreaks(update.text, autoescape=True)}"


def _incident_html(view: IncidentView) -> str:
    parts = [f"<p>{escape(_('Affected'))}: {escape(', '.join(view.services + view.regions))}</p>"]
    parts += [_update_html(update) for update in view.updates]
    return "".join(parts)


def _atom(title: str, page: str, feed: str, language: str, feed_id: str) -> feedgenerator.Atom1Feed:
    return feedgenerator.Atom1Feed(
        title=title,
        link=page,
        description="",
        language=language,
        feed_url=feed,
        feed_guid=feed_id,
        author_name=_("Service status"),
    )


def status_atom(views: list[IncidentView], variant: Variant) -> bytes:
    """One entry per incident of the status page, its content every update, newest first."""
    with override(variant.language):
        page = absolute(reverse("public:status") + query(variant))
        feed = _atom(
            _("Service status"),
            page,
            absolute(reverse("public:status_feed", args=["atom"]) + query(variant)),
            variant.language,
            _tag("status", datetime(2026, 1, 1, tzinfo=UTC)),
        )
        for view in views:
            feed.add_item(
                title=f"{view.title} — {view.state_label}",
                link=absolute(view.url),
                description=_incident_html(view),
                unique_id=_tag(f"incident:{view.public_id}", view.started_at),
                pubdate=view.started_at,
                updateddate=view.updated_at,
            )
        return feed.writeString("utf-8").encode()


def incident_atom(view: IncidentView, variant: Variant) -> bytes:
    """One entry per published update of one incident."""
    with override(variant.language):
        feed = _atom(
            view.title,
            absolute(view.url),
            absolute(reverse("public:incident_feed", args=[view.public_id, "atom"]) + query(variant)),
            variant.language,
            _tag(f"incident:{view.public_id}", view.started_at),
        )
        count = len(view.updates)
        for index, update in enumerate(view.updates):
            feed.add_item(
                title=f"{view.title} — {update.state_label}",
                link=absolute(view.url),
                description=_update_html(update),
                unique_id=_tag(f"incident:{view.public_id}:update:{count - index}", view.started_at),
                pubdate=update.at,
                updateddate=update.at,
            )
        return feed.writeString("utf-8").encode()


def _json_item(view: IncidentView) -> dict[str, object]:
    return {
        "id": _tag(f"incident:{view.public_id}", view.started_at),
        "url": absolute(view.url),
        "title": view.title,
        "content_html": _incident_html(view),
        "date_published": view.started_at.isoformat(),
        "date_modified": view.updated_at.isoformat(),
        "_incident": {
            "state": view.state,
            "maintenance": view.is_maintenance,
            "services": view.services,
            "regions": view.regions,
            "started_at": view.started_at.isoformat(),
            "expected_end": view.expected_end.isoformat() if view.expected_end else None,
            "resolved_at": view.resolved_at.isoformat() if view.resolved_at else None,
            "updates": [
                {
                    "state": update.state,
                    "text": update.text,
                    "language": update.text_language,
                    "at": update.at.isoformat(),
                }
                for update in view.updates
            ],
        },
    }


def status_json(views: list[IncidentView], variant: Variant) -> bytes:
    with override(variant.language):
        document = {
            "version": JSON_FEED_VERSION,
            "title": _("Service status"),
            "home_page_url": absolute(reverse("public:status") + query(variant)),
            "feed_url": absolute(reverse("public:status_feed", args=["json"]) + query(variant)),
            "language": variant.language,
            "items": [_json_item(view) for view in views],
        }
    return json.dumps(document, ensure_ascii=False).encode()


def incident_json(view: IncidentView, variant: Variant) -> bytes:
    with override(variant.language):
        document = {
            "version": JSON_FEED_VERSION,
            "title": view.title,
            "home_page_url": absolute(view.url),
            "feed_url": absolute(reverse("public:incident_feed", args=[view.public_id, "json"]) + query(variant)),
            "language": variant.language,
            "items": [_json_item(view)],
        }
    return json.dumps(document, ensure_ascii=False).encode()

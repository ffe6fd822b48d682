"""Short links: ``/i/<code>`` counts one click for its notice and channel and redirects to the incident's page in the
link's language. Where a code leads is kept in this process for a minute per public version (it only changes when
an incident is hidden or first published), so a click costs no database query: one cache read and one increment.
"""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse

from campaigns.selectors.public import LinkTarget, link_target
from campaigns.services.clicks import click_record
from campaigns.services.public_cache import public_version

CODE = re.compile(r"^[A-Za-z0-9]{4,16}$")
TARGETS_KEPT = 10_000  # codes remembered per process (a few per notice; the oldest go first)
TARGET_SECONDS = 60.0
_targets: dict[str, tuple[str, float, LinkTarget | None]] = {}


REDIRECT_HEADERS = (
    ("Cache-Control", "no-store"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Content-Type-Options", "nosniff"),
)


def known_target(code: str) -> LinkTarget | None:
    """Where a code leads, if this process looked it up under the current version less than a minute ago."""
    kept = _targets.get(code)
    if kept is not None and kept[0] == public_version() and time.monotonic() - kept[1] < TARGET_SECONDS:
        return kept[2]
    return None


def target_path(target: LinkTarget) -> str:
    path = reverse("public:incident", args=[target.public_id]) if target.public_id else reverse("public:status")
    return path + "?" + urlencode({"lang": target.language})


def target_of(code: str) -> LinkTarget | None:
    known = known_target(code)
    if known is not None:
        return known
    version, now = public_version(), time.monotonic()
    found = link_target(code)
    if found is None:
        return None  # unknown codes are not remembered: guessing cannot fill this process's memory
    if len(_targets) >= TARGETS_KEPT:
        for oldest in list(_targets)[:1]:
            _targets.pop(oldest, None)
    _targets[code] = (version, now, found)
    return found


def short_link_response(code: str) -> HttpResponse:
    """Count the click and redirect; an unknown code answers 404. No cookie, and nothing of the reader is kept."""
    target = target_of(code) if CODE.match(code) else None
    if target is None:
        response = HttpResponse(b"Not found", status=404, content_type="text/plain; charset=utf-8")
    else:
        click_record(target.link_id)
        response = HttpResponseRedirect(target_path(target))
    for name, value in REDIRECT_HEADERS:
        response[name] = value
    return response

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


def target_of(code: str) -> LinkTarget | None:
    version, now = public_version(), time.monotonic()
    kept = _targets.get(code)
    if kept is not None and kept[0] == version and now - kept[1] < TARGET_SECONDS:
        return kept[2]
    found = link_target(code)
    if found is None:
        return None  # unknown codes are not remembered: guessing cannot fill this process's memory
    if len(_targets) >= TARGETS_KEPT:
        _targets.pop(next(iter(_targets)))
    _targets[code] = (version, now, found)
    return found


def short_link_response(code: str) -> HttpResponse:
    """Count the click and redirect; an unknown code answers 404. No cookie, and nothing of the reader is kept."""
    target = target_of(code) if CODE.match(code) else None
    if target is None:
        response = HttpResponse(b"Not found", status=404, content_type="text/plain; charset=utf-8")
    else:
        click_record(target.link_id)
        path = reverse("public:incident", args=[target.public_id]) if target.public_id else reverse("public:status")
        response = HttpResponseRedirect(path + "?" + urlencode({"lang": target.language}))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response

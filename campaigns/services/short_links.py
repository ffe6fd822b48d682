"""``{{ incident_link }}``: the short links a notice carries, made when its send starts and frozen into the send.

One link per notice, channel and language the message uses it in, so the page opens in the reader's language and
clicks are counted per notice and channel. A code is ``INCIDENT_LINK_CODE_LENGTH`` random characters from 62
(about 41 bits): incidents cannot be enumerated by trying codes, and the SMS stays short. The renderer in
notifications picks the value for each message's channel and language from the send's variables; it never imports
campaigns.
"""

from __future__ import annotations

import secrets
import string

from django.db import IntegrityError, transaction

from campaigns.models import Campaign, ShortLink
from campaigns.services.variables import send_variables
from notifications.content import INCIDENT_LINK_CODE_LENGTH, INCIDENT_LINKS_VARIABLE, incident_link_url
from notifications.rendering import TemplateError, compile_template

ALPHABET = string.ascii_letters + string.digits
LINK_VARIABLE = "incident_link"


def new_code(length: int = INCIDENT_LINK_CODE_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def link_uses(content: object, channels: list[str]) -> list[tuple[str, str]]:
    """The (channel, language) pairs whose message uses ``{{ incident_link }}``."""
    used: list[tuple[str, str]] = []
    if not isinstance(content, dict):
        return used
    for language, per_channel in content.items():
        for channel in channels:
            part = per_channel.get(channel) if isinstance(per_channel, dict) else None
            if not isinstance(part, dict):
                continue
            for source in part.values():
                try:
                    names = compile_template(str(source or "")).variables
                except TemplateError:
                    continue
                if LINK_VARIABLE in names:
                    used.append((channel, str(language)))
                    break
    return used


def _link(campaign: Campaign, channel: str, language: str, *, is_test: bool) -> ShortLink:
    existing = ShortLink.objects.filter(campaign=campaign, channel=channel, language=language, is_test=is_test).first()
    if existing is not None:
        return existing  # a reminder carries the same links as its notice
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ShortLink.objects.create(
                    code=new_code(),
                    incident=campaign.incident,
                    campaign=campaign,
                    channel=channel,
                    language=language,
                    is_test=is_test,
                )
        except IntegrityError:  # a code already taken (about one chance in 10^12), or a concurrent start
            found = ShortLink.objects.filter(
                campaign=campaign, channel=channel, language=language, is_test=is_test
            ).first()
            if found is not None:
                return found
    raise RuntimeError("Could not make a unique short link code.")


def campaign_link_variables(campaign: Campaign, *, is_test: bool = False) -> dict[str, object]:
    """The send variables that carry this notice's short links (none when its message has no ``incident_link``)."""
    uses = link_uses(campaign.content, list(campaign.channels or []))
    if not uses:
        return {}
    links: dict[str, dict[str, str]] = {}
    for channel, language in uses:
        link = _link(campaign, channel, language, is_test=is_test)
        links.setdefault(channel, {})[language] = incident_link_url(link.code)
    return {INCIDENT_LINKS_VARIABLE: links}


def campaign_send_variables(campaign: Campaign, *, is_test: bool = False) -> dict[str, object]:
    """The variables a send of this notice freezes: the notice's own (incident times as moments, read by each
    recipient in their language and zone: campaigns.services.variables.send_variables), plus its short links."""
    return {**send_variables(campaign), **campaign_link_variables(campaign, is_test=is_test)}

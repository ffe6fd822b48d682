"""Preparing: a claimed batch rendered and turned into the outbound messages one provider request carries.

Why its own step: rendering is the CPU of dispatch, so it is done once per row with templates compiled once per
send and worker (a send's content is frozen), and the pipelined loop (``dispatch.py``) prepares the next batch
while the previous one is on the wire. Each email carries the one-click ``List-Unsubscribe`` headers (RFC 8058)
with the same signed link its template shows; the link's URL is reversed once per process, not once per email. A
template that fails to render fails its own row only.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.urls import get_urlconf, reverse

from clients import links
from clients.models import Channel
from notifications.callbacks import report_url
from notifications.channels import ChannelOutput, ChannelSpec, channel_spec
from notifications.content import ContentRenderer, Rendered
from notifications.models import Message, Send, message_id_for
from notifications.providers.base import OutboundMessage, SendOptions
from notifications.services.claim import Claim, ClaimedRow
from notifications.services.record import Decision

S = Message.State
RENDERERS_KEPT = 16
_renderers: OrderedDict[int, ContentRenderer] = OrderedDict()


@dataclass
class PreparedBatch:
    """A claimed batch, rendered and ready to go out."""

    send: Send
    channel: str
    claim: Claim
    rendered: dict[int, Rendered]
    outbound: list[OutboundMessage]
    decisions: dict[int, Decision]  # rows already decided (a template that failed to render)
    options: SendOptions


def renderer_for(send: Send) -> ContentRenderer:
    """One renderer per send per worker process: a send's content is frozen, so its compiled templates are too."""
    renderer = _renderers.get(send.pk)
    if renderer is None:
        renderer = ContentRenderer(
            content=send.content,
            fallback_language=send.fallback_language,
            variables=send.variables,
            sms_stop_line=send.sms_stop_line,
        )
        _renderers[send.pk] = renderer
        while len(_renderers) > RENDERERS_KEPT:
            _renderers.popitem(last=False)
    return renderer


def send_options(send: Send) -> SendOptions:
    """What applies to every request of a send: the report URL and the campaign reference."""
    return SendOptions(report_url=report_url(), reference=send.reference)


_TOKEN_MARK = "0token0"


@lru_cache(maxsize=8)
def _unsubscribe_url_parts(base_url: str, urlconf: str) -> tuple[str, str]:
    head, _mark, tail = (base_url + reverse("clients:unsubscribe", args=[_TOKEN_MARK])).partition(_TOKEN_MARK)
    return head, tail


def unsubscribe_links() -> Callable[[int], str]:
    """A builder of ``links.unsubscribe_url(client_id, "email")`` that reverses the URL once, not once per email."""
    head, tail = _unsubscribe_url_parts(settings.PORTAL_BASE_URL, str(get_urlconf() or settings.ROOT_URLCONF))
    return lambda client_id: head + links.unsubscribe_token(client_id, Channel.EMAIL) + tail


def _outbound(
    spec: ChannelSpec, row: ClaimedRow, rendered: Rendered, unsubscribe: str, message_id: str
) -> OutboundMessage:
    headers = {}
    if unsubscribe:
        headers = {"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    output = ChannelOutput(subject=rendered.subject, text=rendered.text, html=rendered.html)
    return spec.outbound(
        message_id=message_id, destination=row.destination, language=rendered.language, output=output, headers=headers
    )


def batch_prepare(*, send: Send, channel: str, claim: Claim, options: SendOptions | None = None) -> PreparedBatch:
    """Render every row of a claim (templates compiled once per send) and build the outbound messages."""
    renderer = renderer_for(send)
    rendered: dict[int, Rendered] = {}
    decisions: dict[int, Decision] = {}
    outbound: list[OutboundMessage] = []
    spec = channel_spec(channel)
    link = unsubscribe_links() if spec.list_unsubscribe else None
    prefix = message_id_for(0)[:-1]  # "op-": our ids are the prefix and the row's pk
    for row in claim.rows:
        # One signature per client email serves both the List-Unsubscribe header and the template's link.
        unsubscribe = link(row.recipient.client_id) if link and row.recipient.client_id else ""
        try:
            content = renderer.render(
                recipient=row.recipient, language=row.language, channel=channel, unsubscribe_url=unsubscribe or None
            )
        except Exception as error:  # a template that slipped past validation fails its own rows only
            decisions[row.id] = Decision(S.FAILED, error_code="render", error_text=str(error)[:500])
            continue
        rendered[row.id] = content
        outbound.append(_outbound(spec, row, content, unsubscribe, f"{prefix}{row.id}"))
    return PreparedBatch(
        send=send,
        channel=channel,
        claim=claim,
        rendered=rendered,
        outbound=outbound,
        decisions=decisions,
        options=options or send_options(send),
    )

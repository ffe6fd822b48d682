"""A notice's messages: the recipients list (keyset pages), its failures grouped by reason, what a retry would
move, why rows were skipped, who it reached (what a follow-up freezes), and the text that went out."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet

from campaigns.models import Campaign
from campaigns.selectors.state import campaign_main_send
from clients.models import Client
from notifications.models import Message, Send

SEARCH_CLIENTS_INLINE = 2000


def campaign_messages(send: Send, *, search: str = "", state: str = "", channel: str = "") -> QuerySet[Message]:
    """A send's messages with their client, filtered; ordered by id for keyset pagination.

    ``search`` matches the client's name or account (part of it), or exactly its reference, email or phone.
    """
    messages = Message.objects.filter(send=send).select_related("client").order_by("id")
    if state == "failures":
        messages = messages.filter(state__in=Message.FAILURE_STATES)
    elif state:
        messages = messages.filter(state=state)
    if channel:
        messages = messages.filter(channel=channel)
    search = search.strip()
    if search:
        # Clients are matched first (one pass over clients), then their messages through the client index. As a
        # subquery, PostgreSQL would instead walk every message of the send and probe clients one by one. A broad
        # search (thousands of clients) keeps the subquery: matches are then frequent and a page fills quickly.
        clients = Client.objects.filter(
            Q(name__icontains=search)
            | Q(account__icontains=search)
            | Q(external_ref__iexact=search)
            | Q(email__iexact=search)
            | Q(phone=search.replace(" ", ""))
        ).values_list("id", flat=True)
        client_ids = list(clients[: SEARCH_CLIENTS_INLINE + 1])
        messages = messages.filter(client_id__in=client_ids if len(client_ids) <= SEARCH_CLIENTS_INLINE else clients)
    return messages


@dataclass
class MessagePage:
    rows: list[Message]
    total: int = 0
    has_more: bool = False
    has_previous: bool = False

    @property
    def first_id(self) -> int | None:
        return self.rows[0].pk if self.rows else None

    @property
    def last_id(self) -> int | None:
        return self.rows[-1].pk if self.rows else None


def message_page(messages: QuerySet[Message], *, after: int | None, before: int | None, size: int) -> MessagePage:
    """One page of ``messages`` after (or before) a message id, so page 2,000 costs what page 1 does."""
    if before is not None:
        rows = list(messages.filter(id__lt=before).order_by("-id")[: size + 1])
        page = MessagePage(rows=rows[:size][::-1], has_previous=len(rows) > size, has_more=True)
    else:
        start = after or 0
        rows = list(messages.filter(id__gt=start)[: size + 1])
        page = MessagePage(rows=rows[:size], has_more=len(rows) > size, has_previous=start > 0)
    page.has_more = page.has_more and bool(page.rows)
    page.has_previous = page.has_previous and bool(page.rows)
    page.total = messages.count()
    return page


def retry_states(include: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """The failure states a retry moves: failed and expired always, rejected/undeliverable only when included."""
    return tuple(Message.RETRY_DEFAULT_STATES) + tuple(s for s in Message.RETRY_OPTIONAL_STATES if s in include)


def retry_candidates(send: Send | None, include: tuple[str, ...] | list[str] = ()) -> int:
    """How many messages a retry with these options would queue again."""
    if send is None:
        return 0
    return Message.objects.filter(send=send, state__in=retry_states(include)).count()


@dataclass
class FailureGroup:
    state: str
    reason: str
    code: str
    count: int
    example: str
    retry_by_default: bool


def send_failure_groups(send: Send | None) -> list[FailureGroup]:
    """Undelivered and failed messages grouped by state and provider reason, largest groups first."""
    if send is None:
        return []
    rows = (
        Message.objects.filter(send=send, state__in=Message.FAILURE_STATES)
        .values("state", "status_name", "error_code")
        .annotate(n=Count("id"), example=Max("error_text"))
        .order_by("-n", "state", "status_name", "error_code")
    )
    return [
        FailureGroup(
            state=row["state"],
            reason=row["status_name"] or row["error_code"] or row["state"],
            code=row["error_code"],
            count=row["n"],
            example=row["example"] or "",
            retry_by_default=row["state"] in Message.RETRY_DEFAULT_STATES,
        )
        for row in rows
    ]


def send_skip_counts(send: Send | None) -> dict[str, int]:
    """Why rows were never sent: {skip_reason: n}."""
    if send is None:
        return {}
    rows = (
        Message.objects.filter(send=send, state=Message.State.SKIPPED)
        .values_list("skip_reason")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    return dict(rows)


def campaign_recipient_client_ids(campaign: Campaign) -> list[int]:
    """Clients who had a message in the notice's main send (neither skipped nor cancelled), sorted."""
    send = campaign_main_send(campaign)
    if send is None:
        return []
    ids = (
        Message.objects.filter(send=send, client__isnull=False)
        .exclude(state__in=(Message.State.SKIPPED, Message.State.CANCELLED))
        .values_list("client_id", flat=True)
        .distinct()
        .order_by("client_id")
    )
    return [client_id for client_id in ids if client_id is not None]


# States of a message that was handed to the provider (its text is the text as sent).
SENT_STATES = (
    Message.State.SENDING,
    Message.State.ACCEPTED,
    Message.State.DELIVERED,
    Message.State.UNDELIVERABLE,
    Message.State.EXPIRED,
    Message.State.REJECTED,
    Message.State.FAILED,
)


@dataclass
class SentText:
    """What one language on one channel looked like: a real message as sent, or the text as written if none yet."""

    language: str
    channel: str
    message: Message | None
    written: dict[str, str]


def send_sent_texts(send: Send | None) -> list[SentText]:
    """One message per language and channel of the send, as it went out (a few index lookups, one per pair).

    A language with no message sent yet (or whose bodies the retention removed) shows the frozen text instead.
    """
    if send is None:
        return []
    content = send.content or {}
    texts = []
    known = [code for code, _name in settings.LANGUAGES]
    languages = sorted(
        set(content) | {send.fallback_language},
        key=lambda code: (code not in known, known.index(code) if code in known else 0, code),
    )
    for language in languages:
        for channel in send.channels or []:
            written = (content.get(language) or {}).get(channel)
            sent = (
                Message.objects.filter(send=send, channel=channel, language=language, state__in=SENT_STATES)
                .exclude(body="", html="")
                .select_related("client")
                .order_by()[:1]
            )
            message = next(iter(sent), None)
            if message is not None or written:
                texts.append(SentText(language=language, channel=channel, message=message, written=written or {}))
    return texts

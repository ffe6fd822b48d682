"""CSV exports of a notice's recipients and failures, streamed row by row so 100,000 rows never sit in memory.

Every cell goes through the portal's one guard against spreadsheet formulas (``clients.spreadsheet``: a leading
apostrophe, every cell quoted; OWASP CSV injection, ASVS 1.2.10). Destinations are masked for users without the
send permission.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.http import HttpRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404

from campaigns.models import Campaign
from campaigns.selectors.messages import campaign_messages
from campaigns.selectors.state import campaign_main_send
from clients.spreadsheet import cell_safe as safe_cell
from clients.spreadsheet import csv_writer
from notifications.masking import mask_for_people

CHUNK_SIZE = 2000
SEND_PERM = "campaigns.send_campaign"

RECIPIENT_COLUMNS = (
    ("message", "id"),
    ("client_ref", "client__external_ref"),
    ("client_name", "client__name"),
    ("account", "client__account"),
    ("channel", "channel"),
    ("destination", "destination"),
    ("language", "language"),
    ("state", "state"),
    ("skip_reason", "skip_reason"),
    ("provider_status", "status_name"),
    ("error_code", "error_code"),
    ("error", "error_text"),
    ("attempts", "attempts"),
    ("sent_at", "sent_at"),
    ("accepted_at", "accepted_at"),
    ("done_at", "done_at"),
)
FAILURE_COLUMNS = (
    ("client_ref", "client__external_ref"),
    ("client_name", "client__name"),
    ("account", "client__account"),
    ("phone", "client__phone"),
    ("email", "client__email"),
    ("channel", "channel"),
    ("destination", "destination"),
    ("state", "state"),
    ("provider_status", "status_name"),
    ("error_code", "error_code"),
    ("error", "error_text"),
    ("done_at", "done_at"),
)
MASKED_FIELDS = {"destination", "client__phone", "client__email"}


def masked(destination: str) -> str:
    """A destination as shown to someone without the send permission: '+33••••••78', 'j•••@example.com'."""
    return mask_for_people(destination)


def _text(value: object) -> object:
    isoformat = getattr(value, "isoformat", None)
    return isoformat() if callable(isoformat) else value


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer feeds a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Iterable[str], rows: Iterable[Iterable[object]]) -> Iterator[str]:
    writer = csv_writer(_Echo())
    yield "\ufeff" + writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        yield writer.writerow([safe_cell(_text(value)) for value in row])


def _stream(
    request: HttpRequest, pk: int, columns: Iterable[tuple[str, str]], state: str, name: str
) -> StreamingHttpResponse:
    campaign = get_object_or_404(Campaign, pk=pk)
    send = campaign_main_send(campaign)
    fields = [field for _, field in columns]
    reveal = request.user.has_perm(SEND_PERM)
    mask_at = [] if reveal else [i for i, field in enumerate(fields) if field in MASKED_FIELDS]

    def rows() -> Iterator[list[object]]:
        if send is None:
            return
        messages = campaign_messages(send, state=state).values_list(*fields)
        for row in messages.iterator(chunk_size=CHUNK_SIZE):
            row = list(row)
            for index in mask_at:
                row[index] = masked(row[index] or "")
            yield row

    response = StreamingHttpResponse(
        csv_lines([label for label, _ in columns], rows()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="notice-{campaign.pk}-{name}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def export_recipients(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Every message of the notice, one row each."""
    return _stream(request, pk, RECIPIENT_COLUMNS, "", "recipients")


def export_failures(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """Undelivered and failed messages with the client's phone and email, for follow-up by phone."""
    return _stream(request, pk, FAILURE_COLUMNS, "failures", "failures")

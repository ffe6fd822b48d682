"""Time to the first accepted message, and to the last, at 10,000, 100,000 and 1,000,000 recipients (issue 15).

Each run is the whole path a confirmed notice takes: ``send_create`` (the harness's clock starts just before it)
→ ``materialize_task`` in a worker, which writes the audience in committed chunks and rings dispatch after the
first → ``dispatch_task`` in the other worker → the sandbox over HTTP. "First accepted" is the earliest
``accepted_at`` the workers recorded, "all accepted" the latest, both from the database; the sandbox's own count
checks every message was accepted once. Target: first accepted in under 1 s at every size.
"""

from __future__ import annotations

from bench import dataset
from bench.figures import Figure
from bench.phases import Ctx, _campaign_once, timed_runs

CHANNELS = ["sms", "email"]
SIZES = (10_000, 100_000, 1_000_000)
FIRST_TARGET_MS = 1000


def _sizes(ctx: Ctx) -> list[int]:
    """The sizes that fit the generated clients; the largest is every client (``--clients`` sets it)."""
    chosen = [size for size in SIZES if size < ctx.sizes.clients]
    return [*chosen, ctx.sizes.clients]


def phase_first(ctx: Ctx) -> None:
    from notifications.models import Message

    reachable = dataset.reachable(ctx.sizes.clients)
    for size in _sizes(ctx):
        everyone = size == ctx.sizes.clients
        bucket = None if everyone else dataset.bucket_create(name=f"bench-first-{size}", size=min(size, reachable))
        notes: list[str] = []
        all_values: list[float] = []

        def run(
            _index: int,
            bucket: int | None = bucket,
            size: int = size,
            notes: list[str] = notes,
            all_values: list[float] = all_values,
        ) -> float:
            result = _campaign_once(ctx, bucket=bucket, channels=CHANNELS, label=f"first-{size}", timeout=1800)
            first = Message.objects.filter(send_id=result["send"], accepted_at__isnull=False).order_by("accepted_at")
            first_at = first.values_list("accepted_at", flat=True)[0]
            first_ms = (first_at - result["t0"]).total_seconds() * 1000
            all_values.append(result["seconds"])
            notes.append(
                f"{result['rows']:,} messages; materialize finished at {result['materialized']:.1f} s, first "
                f"accepted at {first_ms / 1000:.2f} s, all at {result['seconds']:.1f} s"
            )
            return first_ms

        who = "clients (all)" if everyone else "recipients"
        first_figure = timed_runs(
            ctx,
            Figure(
                key=f"first_{size}",
                label=f"time to first accepted, {size:,} {who} × SMS + email (ms)",
                unit="ms",
                target=FIRST_TARGET_MS,
                higher_is_better=False,
            ),
            run,
        )
        first_figure.note = "; ".join(notes)
        ctx.add(
            Figure(
                key=f"all_{size}",
                label=f"time to all accepted, {size:,} {who} × SMS + email (s)",
                unit="s",
                values=all_values,
                higher_is_better=False,
                error=first_figure.error,
            )
        )
        dataset.messages_clear()

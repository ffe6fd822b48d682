"""Where the time goes, two ways (``--profile``).

- ``summarize``: py-spy's folded stacks of the two worker processes during a real dispatch (CPU samples only),
  grouped by activity, and the hottest frames.
- ``wall_profile``: cProfile (whose default timer is the wall clock, so waiting on PostgreSQL or on HTTP counts) of
  one call in the benchmark process, reported as the share of the wall time spent in each named step.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

# Checked from the innermost frame outwards; the first activity found is where a sample is spent.
ACTIVITIES = (
    ("HTTP to the provider (requests/urllib3/socket)", ("requests/", "urllib3/", "http/client.py", "socket.py")),
    ("JSON encode/decode", ("json/",)),
    ("database driver (psycopg2)", ("psycopg2", "_execute (django/db/backends/utils.py")),
    ("signing links (clients/links.py, django.core.signing)", ("signing.py", "clients/links.py")),
    (
        "rendering templates (notifications/rendering.py, content.py)",
        ("notifications/rendering.py", "notifications/content.py"),
    ),
    ("Django ORM (query building, model instances)", ("django/db/",)),
)
# Celery's own frames are the outermost of every task sample; a sample counts as Celery's only when it is inside.
BROKER = ("celery/", "kombu/", "redis/", "billiard/")


def _activity(frames: list[str]) -> str:
    if any(needle in frames[-1] for needle in BROKER):
        return "Celery / kombu / Redis client"
    for frame in reversed(frames):
        for name, needles in ACTIVITIES:
            if any(needle in frame for needle in needles):
                return name
    return "other Python (the dispatch loop, dataclasses, settings, logging)"


def summarize(folder: Path, *, top: int = 10) -> str:
    """A one-paragraph summary of every ``profile-worker-*.txt`` in ``folder``."""
    activities: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for path in sorted(folder.glob("profile-worker-*.txt")):
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if not count.isdigit():
                continue
            samples = int(count)
            frames = stack.split(";")
            total += samples
            activities[_activity(frames)] += samples
            own[frames[-1]] += samples
    if not total:
        return "no samples (py-spy needs ptrace permission)"
    shares = "; ".join(f"{name} {count / total:.0%}" for name, count in activities.most_common())
    hottest = "; ".join(f"{frame} {count / total:.1%}" for frame, count in own.most_common(top))
    return f"py-spy, {total:,} CPU samples of the two workers. By activity: {shares}. Hottest frames: {hottest}"


def wall_profile(
    call: Callable[[], object], steps: dict[str, tuple[str, str]], dump: Path | None = None
) -> tuple[float, dict[str, float]]:
    """Run ``call`` under cProfile; returns its wall seconds and, per step, the share of them spent inside it.

    ``steps`` maps a label to (file path suffix, function name); cumulative times of every match are added. The raw
    profile is saved to ``dump`` when given (``python -m pstats <file>`` reads it).
    """
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(call)
    wall = time.perf_counter() - started
    if dump is not None:
        profiler.dump_stats(dump)
    stats = pstats.Stats(profiler).stats
    shares = {}
    for label, (suffix, name) in steps.items():
        cumulative = sum(
            entry[3] for (path, _line, function), entry in stats.items() if function == name and path.endswith(suffix)
        )
        shares[label] = cumulative / wall if wall else 0.0
    return wall, shares


def shares_text(wall: float, shares: dict[str, float]) -> str:
    return f"{wall:.2f} s wall (under cProfile): " + "; ".join(
        f"{label} {share:.0%}" for label, share in shares.items()
    )


DISPATCH_STEPS = {
    "claim (UPDATE … SKIP LOCKED + read rows)": ("notifications/services/claim.py", "messages_claim"),
    "render": ("notifications/content.py", "render"),
    "  of which signing links": ("clients/links.py", "unsubscribe_token"),
    "build outbound messages": ("notifications/services/prepare.py", "_outbound"),
    "signed unsubscribe links (all callers)": ("notifications/services/prepare.py", "<lambda>"),
    "provider.send (body, JSON, HTTP)": ("notifications/providers/infobip/client.py", "send"),
    "  of which JSON encoding": ("json/__init__.py", "dumps"),
    "  of which the HTTP round trip": ("requests/adapters.py", "send"),
    "record (one UPDATE … FROM VALUES)": ("notifications/services/record.py", "messages_record"),
    "ProviderCall insert": ("django/db/models/query.py", "bulk_create"),
    "re-read the send each batch": ("django/db/models/query.py", "first"),
    "reconcile + next_due + complete": ("notifications/services/dispatch.py", "next_due"),
}

WEBHOOK_STEPS = {
    "the view (the rest: test client, middleware, routing)": ("notifications/webhooks/reports.py", "infobip_reports"),
    "authenticate": ("notifications/webhooks/auth.py", "webhook_authenticated"),
    "parse JSON and validate": ("notifications/webhooks/reports.py", "parse_reports"),
    "reports_record": ("notifications/services/reports.py", "reports_record"),
    "  of which the raw-row INSERT": ("django/db/models/query.py", "bulk_create"),
    "  of which the state UPDATE": ("notifications/services/reports.py", "messages_apply_reports"),
    "  of which dedupe keys": ("notifications/services/reports.py", "dedupe_key"),
    "  of which DeliveryReport objects": ("django/db/models/base.py", "__init__"),
}


def explain(call: Callable[[], object], dump: Path, *, only: str = "", reset: str = "") -> str:
    """Run ``call`` once capturing its SQL, then EXPLAIN ANALYZE each statement inside a rolled-back transaction.

    ``only`` keeps the statements containing it; ``reset`` is SQL run before each EXPLAIN (in the same rolled-back
    transaction), so an INSERT is explained into the state ``call`` found. The plans go to ``dump``; the summary
    gives each statement's execution time and its plan's top nodes.
    """
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    statements = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].lstrip().upper().startswith(("SELECT", "INSERT", "WITH")) and only in query["sql"]
    ]
    plans, summary = [], []
    for sql in statements:
        with transaction.atomic(), connection.cursor() as cursor:
            if reset:
                cursor.execute(reset)
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            lines = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        plans.append(sql + "\n" + "\n".join(lines))
        total = next((line for line in lines if line.startswith("Execution Time")), "")
        nodes = [line.strip().split("  (")[0].lstrip("-> ") for line in lines if "->" in line or line is lines[0]]
        summary.append(f"{total.replace('Execution Time: ', '')} ({'; '.join(nodes[:4])})")
    dump.write_text("\n\n".join(plans))
    return " | ".join(summary)

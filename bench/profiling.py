"""Where the workers' time went, from py-spy's folded stacks: shares by activity and the hottest functions."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

# First match wins, checked from the innermost frame outwards: the activity a sample is spent in.
ACTIVITIES = (
    ("HTTP to the provider (requests/urllib3/socket)", ("requests/", "urllib3/", "http/client.py", "socket.py")),
    ("JSON encode/decode", ("json/",)),
    ("database driver (psycopg2, waiting on PostgreSQL)", ("psycopg2", "execute (django/db/backends/utils.py")),
    ("signing links (clients/links.py, django.core.signing)", ("signing.py", "clients/links.py")),
    ("rendering templates (notifications/rendering.py, content.py)", ("notifications/rendering.py",
                                                                       "notifications/content.py")),
    ("Django ORM (query building, model instances)", ("django/db/",)),
    ("Celery / kombu (broker)", ("celery/", "kombu/", "redis/")),
)


def _activity(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, needles in ACTIVITIES:
            if any(needle in frame for needle in needles):
                return name
    return "other Python (the dispatch loop itself, dataclasses, logging)"


def summarize(folder: Path, *, top: int = 12) -> str:
    """A one-paragraph summary of every ``profile-worker-*.txt`` in ``folder`` (empty when none has samples)."""
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
    return f"{total:,} samples. By activity: {shares}. Hottest frames (own time): {hottest}"

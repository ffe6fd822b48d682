"""The machine's description, the results table (terminal and Markdown), bench/RESULTS.md and bench/dispatch.png."""

from __future__ import annotations

import os
import platform
import subprocess
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from bench.figures import Figure, fmt

ROOT = Path(__file__).resolve().parent.parent
ORDER = (
    "audience_all",
    "audience_filtered",
    "materialize",
    "materialize_baseline",
    "materialize_share",
    "dispatch",
    "floor",
    "floor_share",
    "webhook",
    "memory_small",
    "memory_all",
    "engine_sms",
    "naive_sms",
    "naive_ratio",
    "engine_email",
    "post_office",
    "post_office_ratio",
    "public_incident",
    "public_status",
    "public_link",
    "public_after_update",
    "public_rolling",
    "failover_all_reached",
)
PUBLIC_HEADING = "## Public pages (issue 16)"
FIRST_HEADING = "## First message within a second (issue 15)"
# Phases that may be rerun on their own without rewriting the whole file: their figures get a section of their own.
FIRST_PHASES = {"first", "dispatch", "floor", "materialize"}


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine(*, redis_version: str, load_start: tuple[float, float, float]) -> dict[str, str]:
    import celery
    import django
    import psutil
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    dirty = (
        " (with uncommitted changes in the checkout)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    )
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": _cpu_model(),
        "cores": str(os.cpu_count()),
        "RAM": f"{psutil.virtual_memory().total / 1024**3:.1f} GiB",
        "load average at start (1/5/15 min)": " / ".join(f"{v:.2f}" for v in load_start),
        "load average at end (1/5/15 min)": " / ".join(f"{v:.2f}" for v in os.getloadavg()),
        "OS": platform.platform(),
        "PostgreSQL": postgres,
        "Redis": redis_version,
        "Python": platform.python_version(),
        "Django / Celery": f"{django.get_version()} / {celery.__version__}",
        "git commit": (_git("rev-parse", "--short", "HEAD") or "unknown") + dirty,
    }


def _row(figure: Figure) -> tuple[str, str, str, str, str]:
    if figure.error and not figure.values:
        return figure.label, "error", figure.error[:60], figure.target_label, "no"
    low_high = figure.spread
    spread = f"{fmt(low_high[0])} – {fmt(low_high[1])}" if low_high else "—"
    met = {True: "yes", False: "NO", None: "—"}[figure.met]
    unit = f" {figure.unit}" if figure.unit and figure.unit not in ("×",) else figure.unit
    return figure.label, f"{fmt(figure.median)}{unit}", spread, figure.target_label, met


def ordered(figures: dict[str, Figure]) -> list[Figure]:
    known = [figures[key] for key in ORDER if key in figures]
    return known + [figure for key, figure in figures.items() if key not in ORDER]


def table_text(figures: Iterable[Figure]) -> str:
    header = ("figure", "median", "min – max", "target", "met?")
    rows = [header, *(_row(figure) for figure in figures)]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(row))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def table_markdown(figures: Iterable[Figure]) -> str:
    lines = ["| Figure | Median | Min – max | Target | Met? |", "|---|---:|---:|---:|:---:|"]
    lines += ["| " + " | ".join(_row(figure)) + " |" for figure in figures]
    return "\n".join(lines)


def results_markdown(
    *,
    figures: dict[str, Figure],
    description: dict[str, str],
    settings: dict[str, str],
    notes: dict[str, str],
    runs: int,
    command: str,
) -> str:
    chosen = ordered(figures)
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` (code in `bench/`, explained in `docs/benchmarks.md`). Every figure is the median of "
        f"{runs} runs, with the lowest and highest run; ratios are paired run by run.",
        "",
        "## Machine",
        "",
        *[f"- **{key}**: {value}" for key, value in description.items()],
        "",
        "## Setup",
        "",
        *[f"- **{key}**: {value}" for key, value in settings.items()],
        "",
        "## Results",
        "",
        table_markdown(chosen),
        "",
        "## Notes per figure",
        "",
        *[f"- **{figure.label}**: {figure.note}" for figure in chosen if figure.note],
        *[f"- **{figure.label}** failed: {figure.error}" for figure in chosen if figure.error],
        *[
            f"- **{key}**: {value}"
            for key, value in notes.items()
            if key.startswith(("dispatch_", "profile_", "naive_", "post_office", "memory_", "phase_", "public_"))
        ],
        "",
        "![Messages accepted over time](dispatch.png)",
        "",
    ]
    return "\n".join(lines)


def plot(timelines: dict[str, list[list[tuple[float, int]]]], path: Path, *, campaign: int) -> None:
    """Messages accepted over time: the campaign by the engine and the naive sender (left), the engine's bulk
    dispatch and post_office (right). The median-length run of each is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def median_run(runs: list[list[tuple[float, int]]]) -> list[tuple[float, int]]:
        runs = [run for run in runs if run]
        return sorted(runs, key=lambda run: run[-1][0])[len(runs) // 2] if runs else []

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    styles = {
        "engine_sms": ("engine (SMS)", "tab:blue", left),
        "naive_sms": ("naive: a task + a request per recipient", "tab:red", left),
        "engine_email": ("engine (email)", "tab:blue", right),
        "post_office_email": ("django-post_office to SMTP", "tab:orange", right),
        "engine_dispatch": ("engine, bulk dispatch SMS + email", "tab:green", right),
    }
    for key, (label, colour, axis) in styles.items():
        run = median_run(timelines.get(key, []))
        if not run:
            continue
        seconds, counts = zip(*run, strict=True)
        total = run[-1][1]
        rate = total / run[-1][0] if run[-1][0] else 0
        axis.plot(
            seconds,
            counts,
            color=colour,
            linestyle="--" if key == "engine_dispatch" else "-",
            drawstyle="steps-post",
            label=f"{label}: {total:,} in {run[-1][0]:.1f} s ({rate:,.0f}/s)",
        )
        slope = (total - run[1][1]) / (run[-1][0] - run[1][0]) if len(run) > 2 and run[-1][0] > run[1][0] else 0
        if key in ("naive_sms", "post_office_email") and total < campaign and slope:
            # Timed over a window: the rest of the campaign at the rate it was sending at.
            axis.plot(
                [run[-1][0], run[-1][0] + (campaign - total) / slope],
                [total, campaign],
                color=colour,
                linestyle=":",
                label=f"{label}: the rest at the same rate (not sent)",
            )
    left.set_title(f"The same {campaign:,}-recipient SMS campaign")
    right.set_title("Email: engine vs django-post_office; engine bulk dispatch")
    for axis in (left, right):
        axis.set_xlabel("seconds since the send started")
        axis.set_ylabel("messages accepted")
        axis.grid(alpha=0.3)
        if axis.get_legend_handles_labels()[0]:
            axis.legend(loc="lower right", fontsize=8)
        axis.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def public_section(
    figures: dict[str, Figure], *, notes: dict[str, str], description: dict[str, str], command: str
) -> str:
    """The public pages' figures as a section of their own (``python -m bench --only public``)."""
    chosen = [figure for figure in ordered(figures) if figure.key.startswith("public_")]
    machine_line = ", ".join(
        f"{key} {description[key]}" for key in ("date", "cores", "git commit") if key in description
    )
    load = description.get("load average at start (1/5/15 min)", "")
    return "\n".join(
        [
            PUBLIC_HEADING,
            "",
            f"Written by `{command}` ({machine_line}; load average at start {load}: other work shared the two "
            "cores). Target: 2,000 requests per second.",
            "",
            table_markdown(chosen),
            "",
            *[f"- **{key}**: {value}" for key, value in notes.items() if key.startswith("public_")],
            *[f"- **{figure.label}** failed: {figure.error}" for figure in chosen if figure.error],
            "",
        ]
    )


def section_update(text: str, heading: str, section: str) -> str:
    """``text`` (RESULTS.md) with the section under ``heading`` replaced by ``section``, or ``section`` added at its
    end."""
    start = text.find(heading)
    if start < 0:
        return text.rstrip("\n") + "\n\n" + section
    end = text.find("\n## ", start + len(heading))
    return text[:start] + section + ("\n" + text[end + 1 :] if end >= 0 else "")


def public_section_update(
    text: str, figures: dict[str, Figure], *, notes: dict[str, str], description: dict[str, str], command: str
) -> str:
    """``text`` (RESULTS.md) with its public pages' section replaced by the new figures, or added at its end."""
    section = public_section(figures, notes=notes, description=description, command=command)
    return section_update(text, PUBLIC_HEADING, section)


def first_section_update(
    text: str, figures: dict[str, Figure], *, notes: dict[str, str], description: dict[str, str], command: str
) -> str:
    """``text`` with the first-message section replaced by this run's figures (``python -m bench --only first``,
    with ``dispatch floor`` beside it to show the bulk rate did not drop); the main table stays as it was."""
    chosen = ordered(figures)
    machine_line = ", ".join(
        f"{key} {description[key]}" for key in ("date", "cores", "git commit") if key in description
    )
    load = " to ".join(
        description[key]
        for key in ("load average at start (1/5/15 min)", "load average at end (1/5/15 min)")
        if key in description
    )
    section = "\n".join(
        [
            FIRST_HEADING,
            "",
            f"Written by `{command}` ({machine_line}; load average (1/5/15 min) {load}: other work shared the two "
            "cores). Time from `send_create` to the first and to the last message accepted, the whole path through "
            "two workers and the sandbox (docs/benchmarks.md). Target: first accepted in under 1 s.",
            "",
            table_markdown(chosen),
            "",
            *[f"- **{figure.label}**: {figure.note}" for figure in chosen if figure.note],
            *[f"- **{figure.label}** failed: {figure.error}" for figure in chosen if figure.error],
            *[f"- **{key}**: {value}" for key, value in notes.items() if key.startswith(("dispatch_", "phase_"))],
            "",
        ]
    )
    return section_update(text, FIRST_HEADING, section)

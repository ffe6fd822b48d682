"""The measurements. Each phase runs its scenario ``runs`` times from the same starting state and records a Figure.

Sends go through the real code: ``send_create`` → ``materialize_task`` → ``dispatch_task`` in the two Celery
worker processes → the sandbox over HTTP. "Accepted" means the engine recorded the sandbox's acceptance in the
database (``accepted_at``), which is also where the curves of the plot come from; every run is checked against the
sandbox's own count (every message accepted once, no duplicate).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import requests
from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from bench import dataset
from bench.figures import Figure, ratio_figure
from bench.infra import Database, Sandbox, Stack
from bench.monitor import RssSampler, cpu_delta, cpu_snapshot, tree

OPEN_STATES = ("pending", "sending")


@dataclass
class Sizes:
    clients: int = 1_000_000
    materialize: int = 100_000  # recipients; rows = recipients × 2 channels
    dispatch: int = 100_000  # messages (recipients × SMS and email)
    campaign: int = 20_000  # recipients of the engine / naive / post_office comparison
    reports: int = 50_000  # delivery reports per webhook run
    memory_small: int = 10_000  # recipients (SMS and email)
    million_seconds: float = 20.0  # dispatch time allowed in each run of the all-clients memory check
    naive_seconds: float = 60.0  # the naive sender and post_office are timed over this window (0: to the end)
    floor_batch: int = 1000
    webhook_threads: int = 4
    gunicorn_workers: int = 2
    po_processes: int = 1
    po_threads: int = 5
    po_batch: int = 500
    public_seconds: float = 10.0  # load per public-page run (bench/public_load.py)
    failover: int = 20_000  # clients of the WhatsApp → SMS failover run (bench/failover.py)
    switch: int = 20_000  # SMS recipients of the provider-switch notice (bench/switch.py)


@dataclass
class Ctx:
    sizes: Sizes
    runs: int
    stack: Stack
    db: Database
    sandbox: Sandbox
    workers: list
    env: dict[str, str]
    sampler: RssSampler
    redis_pid: int | None = None
    profile: bool = False
    figures: dict[str, Figure] = field(default_factory=dict)
    timelines: dict[str, list[list[tuple[float, int]]]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    buckets: dict[str, int] = field(default_factory=dict)
    log: Callable[[str], None] = print

    def add(self, figure: Figure) -> Figure:
        self.figures[figure.key] = figure
        return figure

    def cpu_groups(self) -> dict[str, list[int]]:
        import os

        groups = {
            "workers": [p.pid for w in self.workers for p in tree(w.pid)],
            "sandbox": [p.pid for p in tree(self.sandbox.child.pid)],
            "postgres": self.db.backend_pids(),
            "harness": [os.getpid()],
        }
        if self.redis_pid:
            groups["redis"] = [self.redis_pid]
        return groups


class RunFailed(RuntimeError):
    pass


def timed_runs(ctx: Ctx, figure: Figure, run: Callable[[int], float]) -> Figure:
    """Call ``run(i)`` ``ctx.runs`` times, appending each value; a failure is recorded and ends the figure."""
    for index in range(ctx.runs):
        try:
            value = run(index)
        except Exception as error:  # noqa: BLE001 - one broken phase must not lose the rest of the run
            figure.error = f"{type(error).__name__}: {error}"[:300]
            ctx.log(f"  {figure.label}: run {index + 1} failed: {figure.error}")
            break
        figure.values.append(value)
        ctx.log(f"  {figure.label}: run {index + 1}: {value:,.1f} {figure.unit}")
    return ctx.add(figure)


# Helpers -------------------------------------------------------------------------------------------------------


def _open_count(send_id: int) -> int:
    from notifications.models import Message

    return Message.objects.filter(send_id=send_id, state__in=OPEN_STATES).count()


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.25) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise RunFailed(f"{what} not done within {timeout:.0f} s")


def accepted_curve(send_id: int, t0: datetime, *, points: int = 400) -> list[tuple[float, int]]:
    """(seconds since ``t0``, messages accepted so far), from the rows' ``accepted_at``, thinned to ``points``."""
    from notifications.models import Message

    times = sorted(
        (at - t0).total_seconds()
        for at in Message.objects.filter(send_id=send_id, accepted_at__isnull=False).values_list(
            "accepted_at", flat=True
        )
    )
    if not times:
        return []
    step = max(1, len(times) // points)
    curve = [(0.0, 0)] + [(times[i], i + 1) for i in range(0, len(times), step)]
    if curve[-1][1] != len(times):
        curve.append((times[-1], len(times)))
    return curve


def finish_seconds(send_id: int, t0: datetime) -> float:
    from notifications.models import Message

    last = Message.objects.filter(send_id=send_id).aggregate(last=Max("accepted_at"))["last"]
    if last is None:
        raise RunFailed("no message was accepted")
    return (last - t0).total_seconds()


def check_sent_once(ctx: Ctx, send_id: int, expected: int) -> None:
    """The database and the sandbox agree: ``expected`` messages accepted, each exactly once."""
    from notifications.models import Message

    accepted = Message.objects.filter(send_id=send_id, state="accepted").count()
    stats = ctx.sandbox.stats()
    if accepted != expected or stats["messages_accepted"] != expected or stats["duplicate_ids"]:
        raise RunFailed(
            f"expected {expected} accepted once; database {accepted}, sandbox "
            f"{stats['messages_accepted']} with {stats['duplicate_ids']} duplicates"
        )


def new_send(*, label: str, channels: list[str], audience: dict, state: str):
    """A send row made directly (no task enqueued), for phases that drive the steps themselves."""
    from notifications.models import Send

    return Send.objects.create(
        label=label,
        channels=channels,
        audience=audience,
        content=dataset.CONTENT,
        variables=dataset.VARIABLES,
        state=state,
    )


def fresh(ctx: Ctx) -> None:
    dataset.messages_clear()
    ctx.sandbox.reset()


# Data ----------------------------------------------------------------------------------------------------------


def prepare_data(ctx: Ctx) -> None:
    sizes = ctx.sizes
    started = time.perf_counter()
    dataset.clients_generate(count=sizes.clients)
    ctx.log(f"generated {sizes.clients:,} clients in {time.perf_counter() - started:.1f} s")
    limit = dataset.reachable(sizes.clients)
    wanted = {
        "materialize": sizes.materialize,
        "dispatch": sizes.dispatch // 2,
        "campaign": sizes.campaign,
        "memory": sizes.memory_small,
    }
    for name, size in wanted.items():
        if size > limit:
            raise SystemExit(f"--{name} {size:,} is more than the {limit:,} reachable clients; raise --clients")
        ctx.buckets[name] = dataset.bucket_create(name=f"bench-{name}", size=size)


# Phases --------------------------------------------------------------------------------------------------------

AUDIENCES = {
    "audience_all": ("audience counts, all clients, SMS + email (ms)", {"builtin": ["all_clients"]}),
    "audience_filtered": (
        "audience counts, 2 regions × spend > 100, SMS + email (ms)",
        {
            "builtin": ["sms_clients", "email_clients"],
            "match": "all",
            "conditions": [
                {"field": "region", "op": "in", "value": ["R1", "R2"]},
                {"field": "attributes.monthly_spend", "op": "gt", "value": 100},
            ],
        },
    ),
}


def phase_audience(ctx: Ctx) -> None:
    from clients.selectors import audience_counts

    for key, (label, definition) in AUDIENCES.items():
        audience_counts(definition, ["sms", "email"], notice_kind="outage")  # warm the caches once

        def run(_index: int, definition=definition, key=key) -> float:
            started = time.perf_counter()
            counts = audience_counts(definition, ["sms", "email"], notice_kind="outage")
            elapsed = (time.perf_counter() - started) * 1000
            ctx.notes[key] = (
                f"matched {counts.matched:,}; SMS eligible {counts.per_channel['sms'].eligible:,}, "
                f"excluded {counts.per_channel['sms'].excluded}"
            )
            return elapsed

        figure = Figure(key=key, label=label, unit="ms", target=300, higher_is_better=False)
        timed_runs(ctx, figure, run)
        figure.note = ctx.notes.get(key, "")
        if ctx.profile:
            from bench.profiling import explain

            ctx.notes[f"profile_{key}_plans"] = explain(
                lambda definition=definition: audience_counts(definition, ["sms", "email"], notice_kind="outage"),
                ctx.stack.log_dir / f"{key}-plans.txt",
            )


def phase_materialize(ctx: Ctx) -> None:
    from notifications.models import Send
    from notifications.services.materialize import send_materialize

    bucket = ctx.buckets["materialize"]
    audience = {"buckets": [bucket]}

    def engine(_index: int) -> float:
        dataset.messages_clear()
        # Paused: its rows are written but no dispatch is rung (the workers must not send during the timing).
        send = new_send(label="materialize", channels=["sms", "email"], audience=audience, state=Send.State.PAUSED)
        started = time.perf_counter()
        rows = send_materialize(send_id=send.pk)
        elapsed = time.perf_counter() - started
        ctx.notes["materialize_rows"] = f"{rows:,} rows ({ctx.sizes.materialize:,} recipients × SMS and email)"
        return rows / elapsed

    def baseline(_index: int) -> float:
        dataset.messages_clear()
        send = new_send(label="baseline", channels=["sms", "email"], audience=audience, state=Send.State.QUEUED)
        started = time.perf_counter()
        rows = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for channel in ("sms", "email"):
                cursor.execute(dataset.BASELINE_SQL, {"send": send.pk, "channel": channel, "bucket": bucket})
                rows += cursor.rowcount
        return rows / (time.perf_counter() - started)

    engine_figure = timed_runs(
        ctx,
        Figure(key="materialize", label="materialize a campaign into messages (rows/s)", unit="rows/s", target=50_000),
        engine,
    )
    engine_figure.note = ctx.notes.get("materialize_rows", "")
    base = timed_runs(
        ctx,
        Figure(key="materialize_baseline", label="bare INSERT … SELECT of the same rows (rows/s)", unit="rows/s"),
        baseline,
    )
    ctx.add(
        ratio_figure(
            "materialize_share", "materialize as a share of the bare INSERT … SELECT", engine_figure, base, unit="×"
        )
    )
    if ctx.profile:
        ctx.notes.update(explain_materialize(ctx, audience, bucket))
    dataset.messages_clear()


def explain_materialize(ctx: Ctx, audience: dict, bucket: int) -> dict[str, str]:
    """EXPLAIN ANALYZE of materialize's INSERTs and of the baseline's, each into an empty message table."""
    from bench.profiling import explain
    from notifications.models import Send
    from notifications.services.materialize import send_materialize

    dataset.messages_clear()
    send = new_send(label="explain", channels=["sms", "email"], audience=audience, state=Send.State.PAUSED)
    reset = "TRUNCATE notifications_message, notifications_deliveryreport"

    def baseline() -> None:
        with connection.cursor() as cursor:
            for channel in ("sms", "email"):
                cursor.execute(dataset.BASELINE_SQL, {"send": send.pk, "channel": channel, "bucket": bucket})

    notes = {
        "profile_materialize_plans": explain(
            lambda: send_materialize(send_id=send.pk),
            ctx.stack.log_dir / "materialize-plans.txt",
            only="INSERT INTO notifications_message",
            reset=reset,
        )
    }
    with connection.cursor() as cursor:
        cursor.execute(reset)
    notes["profile_baseline_plans"] = explain(
        baseline, ctx.stack.log_dir / "baseline-plans.txt", only="INSERT INTO notifications_message", reset=reset
    )
    return notes


def _dispatch_once(ctx: Ctx, *, bucket: int, channels: list[str], label: str, profile: bool = False) -> dict:
    """Materialize (not timed), then kick dispatch and time until every message is accepted."""
    from notifications.models import Message, ProviderCall, Send
    from notifications.services.doorbell import dispatch_kick

    fresh(ctx)
    send = new_send(label=label, channels=channels, audience={"buckets": [bucket]}, state=Send.State.QUEUED)
    dataset.materialize_unrung(send.pk)
    expected = Message.objects.filter(send=send, state="pending").count()
    profilers = start_profilers(ctx, seconds=8) if profile else []
    before = cpu_snapshot(ctx.cpu_groups())
    t0 = timezone.now()
    with transaction.atomic():
        dispatch_kick(send_id=send.pk, channels=channels)
    wait_until(lambda: _open_count(send.pk) == 0, timeout=900, what=label)
    after = cpu_snapshot(ctx.cpu_groups())
    seconds = finish_seconds(send.pk, t0)
    check_sent_once(ctx, send.pk, expected)
    http_ms = sum(ProviderCall.objects.filter(send=send).values_list("duration_ms", flat=True))
    calls = ProviderCall.objects.filter(send=send).count()
    for profiler in profilers:
        profiler.wait(timeout=60)
    return {
        "send": send.pk,
        "t0": t0,
        "messages": expected,
        "seconds": seconds,
        "cpu": cpu_delta(before, after),
        "http_seconds": http_ms / 1000,
        "calls": calls,
        "curve": accepted_curve(send.pk, t0),
    }


def phase_dispatch(ctx: Ctx) -> None:
    results = []

    def run(index: int) -> float:
        result = _dispatch_once(
            ctx,
            bucket=ctx.buckets["dispatch"],
            channels=["sms", "email"],
            label="dispatch",
            profile=ctx.profile and index == 0,
        )
        results.append(result)
        ctx.timelines.setdefault("engine_dispatch", []).append(result["curve"])
        return result["messages"] / result["seconds"]

    figure = timed_runs(
        ctx,
        Figure(key="dispatch", label="dispatch SMS + email until accepted (msg/s)", unit="msg/s", target=5_000),
        run,
    )
    if results:
        figure.note = f"{results[0]['messages']:,} messages, batches of {results[0]['messages'] // max(1, results[0]['calls'])} per request"
        ctx.notes["dispatch_cpu"] = cpu_summary(results)
    if ctx.profile:
        ctx.notes["profile_dispatch_wall"] = profile_dispatch(ctx)
    dataset.messages_clear()


def profile_dispatch(ctx: Ctx) -> str:
    """One send (the memory bucket, SMS and email) dispatched by ``dispatch_run`` in this process under cProfile."""
    from bench.profiling import DISPATCH_STEPS, shares_text, wall_profile
    from notifications.models import Message, Send
    from notifications.services.dispatch import dispatch_run

    fresh(ctx)
    send = new_send(
        label="profile",
        channels=["sms", "email"],
        audience={"buckets": [ctx.buckets["memory"]]},
        state=Send.State.QUEUED,
    )
    dataset.materialize_unrung(send.pk)
    count = Message.objects.filter(send=send, state="pending").count()

    def both() -> None:
        for channel in ("sms", "email"):
            dispatch_run(send_id=send.pk, channel=channel)

    wall, shares = wall_profile(both, DISPATCH_STEPS, ctx.stack.log_dir / "dispatch.pstats")
    check_sent_once(ctx, send.pk, count)
    return f"dispatch_run of {count:,} messages in one process, " + shares_text(wall, shares)


def cpu_summary(results: list[dict]) -> str:
    """Median CPU seconds per component and the workers' time inside provider calls, over the runs."""
    groups = sorted({name for result in results for name in result["cpu"]})
    wall = statistics.median(r["seconds"] for r in results)
    parts = [f"{name} {statistics.median(r['cpu'].get(name, 0) for r in results):.1f} s" for name in groups]
    total = statistics.median(sum(r["cpu"].values()) for r in results)
    http = statistics.median(r["http_seconds"] for r in results)
    calls = statistics.median(r["calls"] for r in results)
    return (
        f"wall {wall:.1f} s (so {2 * wall:.1f} CPU-seconds on 2 cores); CPU used: {', '.join(parts)}; total "
        f"{total:.1f} s ({total / (2 * wall):.0%} of both cores); the workers waited {http:.1f} s in "
        f"{calls:.0f} provider calls"
    )


def _campaign_once(
    ctx: Ctx,
    *,
    bucket: int | None,
    channels: list[str],
    label: str,
    timeout: float = 900,
    stop_after: float | None = None,
) -> dict:
    """The whole path from ``send_create`` (materialize in a worker, then dispatch) until every row is accepted."""
    from notifications.models import Message, Send
    from notifications.services.sends import send_cancel, send_create

    fresh(ctx)
    audience = {"buckets": [bucket]} if bucket else {}
    t0 = timezone.now()
    with transaction.atomic():
        send = send_create(
            label=label, channels=channels, audience=audience, content=dataset.CONTENT, variables=dataset.VARIABLES
        )
    wait_until(
        lambda: Send.objects.filter(pk=send.pk, materialized_at__isnull=False).exists(),
        timeout=timeout,
        what=f"{label} materialize",
    )
    materialized = (Send.objects.get(pk=send.pk).materialized_at - t0).total_seconds()
    if stop_after is not None:
        deadline = time.monotonic() + stop_after
        wait_until(
            lambda: time.monotonic() > deadline or _open_count(send.pk) == 0,
            timeout=stop_after + 60,
            what=label,
            interval=0.5,
        )
        send_cancel(send=send)
    wait_until(lambda: _open_count(send.pk) == 0, timeout=timeout, what=label)
    rows = Message.objects.filter(send=send).exclude(state="skipped").count()
    accepted = Message.objects.filter(send=send, state="accepted").count()
    result = {"send": send.pk, "t0": t0, "rows": rows, "accepted": accepted, "materialized": materialized}
    if stop_after is None:
        check_sent_once(ctx, send.pk, rows)
        result["seconds"] = finish_seconds(send.pk, t0)
        result["curve"] = accepted_curve(send.pk, t0)
    return result


def phase_campaigns(ctx: Ctx) -> None:
    """The same campaign by the engine, the naive sender (SMS) and django-post_office (email)."""
    from bench.naive import naive_send
    from notifications.models import Message, Send

    bucket = ctx.buckets["campaign"]
    size = ctx.sizes.campaign

    def engine(channel: str, curve_key: str) -> Callable[[int], float]:
        def run(_index: int) -> float:
            result = _campaign_once(ctx, bucket=bucket, channels=[channel], label=f"engine-{channel}")
            ctx.timelines.setdefault(curve_key, []).append(result["curve"])
            return result["rows"] / result["seconds"]

        return run

    def naive(_index: int) -> float:
        fresh(ctx)
        send = new_send(label="naive", channels=["sms"], audience={"buckets": [bucket]}, state=Send.State.PAUSED)
        t0 = timezone.now()
        count = naive_send(send=send)
        window = ctx.sizes.naive_seconds
        accepted = Message.objects.filter(send=send, state="accepted")
        if window and (timezone.now() - t0).total_seconds() < window:
            deadline = time.monotonic() + window - (timezone.now() - t0).total_seconds()
            wait_until(
                lambda: time.monotonic() >= deadline or accepted.count() >= count,
                timeout=window + 30,
                what="naive sender",
                interval=0.5,
            )
        if not window or accepted.count() >= count:
            wait_until(
                lambda: accepted.count() >= count, timeout=max(600, count / 10), what="naive sender", interval=0.5
            )
            check_sent_once(ctx, send.pk, count)
            rate = count / finish_seconds(send.pk, t0)
        else:
            rate = naive_stop(ctx, send.pk, t0, window)
        ctx.timelines.setdefault("naive_sms", []).append(accepted_curve(send.pk, t0))
        return rate

    engine_sms = timed_runs(
        ctx,
        Figure(
            key="engine_sms",
            label=f"engine, {size:,}-recipient SMS campaign, send_create → all accepted (msg/s)",
            unit="msg/s",
        ),
        engine("sms", "engine_sms"),
    )
    naive_sms = timed_runs(
        ctx,
        Figure(
            key="naive_sms", label="naive sender, same campaign: a task + a request per recipient (msg/s)", unit="msg/s"
        ),
        naive,
    )
    ctx.add(ratio_figure("naive_ratio", "engine ÷ naive sender", engine_sms, naive_sms, target=20))
    engine_email = timed_runs(
        ctx,
        Figure(key="engine_email", label=f"engine, {size:,}-recipient email campaign (msg/s)", unit="msg/s"),
        engine("email", "engine_email"),
    )
    post_office = timed_runs(
        ctx,
        Figure(key="post_office", label="django-post_office, same emails to an SMTP sink (msg/s)", unit="msg/s"),
        lambda index: post_office_once(ctx, bucket, size),
    )
    ctx.add(ratio_figure("post_office_ratio", "engine ÷ django-post_office", engine_email, post_office))
    dataset.messages_clear()


def naive_stop(ctx: Ctx, send_id: int, t0: datetime, window: float) -> float:
    """End a naive run after ``window`` seconds: drop the tasks still queued, let the ones in hand finish, and
    return the rate over the window (the naive sender's rate is steady, its curve a straight line)."""
    from notifications.models import Message
    from outage_portal.celery import app

    purged = app.control.purge()
    accepted = Message.objects.filter(send_id=send_id, state="accepted")
    previous = [-1]

    def settled() -> bool:
        now = accepted.count()
        done, previous[0] = now == previous[0], now
        return done

    wait_until(settled, timeout=60, what="naive sender stop", interval=1.0)
    in_window = accepted.filter(accepted_at__lte=t0 + timedelta(seconds=window)).count()
    stats = ctx.sandbox.stats()
    if stats["duplicate_ids"] or stats["messages_accepted"] != accepted.count():
        raise RunFailed(f"naive: database {accepted.count()}, sandbox {stats['messages_accepted']}")
    ctx.notes["naive_window"] = (
        f"timed over its first {window:.0f} s ({in_window:,} accepted), then the {purged:,} "
        "tasks still queued were purged"
    )
    return in_window / window


def post_office_once(ctx: Ctx, bucket: int, size: int) -> float:
    env = {
        **ctx.env,
        "DJANGO_SETTINGS_MODULE": "bench.settings_post_office",
        "BENCH_SMTP_PORT": str(ctx.env["BENCH_SMTP_PORT"]),
        "BENCH_PO_BATCH": str(ctx.sizes.po_batch),
        "BENCH_PO_THREADS": str(ctx.sizes.po_threads),
    }
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.post_office_run",
            "--bucket",
            str(bucket),
            "--processes",
            str(ctx.sizes.po_processes),
            "--max-send-seconds",
            str(ctx.sizes.naive_seconds),
        ],
        env=env,
        capture_output=True,
        timeout=max(900, size / 20),
        cwd=dataset.__file__.rsplit("/bench/", 1)[0],
    )
    if completed.returncode != 0:
        raise RunFailed(completed.stderr.decode(errors="replace")[-800:])
    outcome = json.loads(completed.stdout.decode().strip().splitlines()[-1])
    if outcome["queued"] != size or outcome["failed"] or outcome["sent_in_db"] != outcome["sent"]:
        raise RunFailed(
            f"post_office queued {outcome['queued']} of {size}, sent {outcome['sent']} "
            f"({outcome['sent_in_db']} in its table), {outcome['failed']} failed"
        )
    ctx.timelines.setdefault("post_office_email", []).append([(0.0, 0), *map(tuple, outcome["timeline"])])
    send_rate = outcome["sent"] / outcome["send_seconds"]
    # The whole campaign's time: its queueing, and its sending at the rate measured (exact when all were sent).
    seconds = outcome["queue_seconds"] + size / send_rate
    ctx.notes["post_office"] = (
        f"queueing {size:,} emails took {outcome['queue_seconds']:.1f} s; sending ran at {send_rate:,.0f}/s "
        f"({outcome['sent']:,} sent in {outcome['send_seconds']:.1f} s"
        + (")" if outcome["sent"] == size else f", timed over {ctx.sizes.naive_seconds:.0f} s, the rest left queued)")
        + f"; send_queued(processes={ctx.sizes.po_processes}), THREADS_PER_PROCESS {ctx.sizes.po_threads}, "
        f"BATCH_SIZE {ctx.sizes.po_batch}"
    )
    return size / seconds


def phase_floor(ctx: Ctx) -> None:
    from bench.floor import floor_task
    from notifications.models import Message, Send

    def run(_index: int) -> float:
        dataset.messages_clear()
        send = new_send(
            label="floor",
            channels=["sms", "email"],
            audience={"buckets": [ctx.buckets["dispatch"]]},
            state=Send.State.QUEUED,
        )
        dataset.materialize_unrung(send.pk)
        expected = Message.objects.filter(send=send, state="pending").count()
        t0 = timezone.now()
        for _ in ctx.workers:
            floor_task.delay(send.pk, ctx.sizes.floor_batch)
        wait_until(lambda: _open_count(send.pk) == 0, timeout=600, what="floor")
        if Message.objects.filter(send=send, state="accepted").count() != expected:
            raise RunFailed("the floor loop lost rows")
        return expected / finish_seconds(send.pk, t0)

    floor = timed_runs(
        ctx,
        Figure(
            key="floor",
            label=f"database floor: claim {ctx.sizes.floor_batch:,} SKIP LOCKED + bulk accept, 2 processes (msg/s)",
            unit="msg/s",
        ),
        run,
    )
    dispatch = ctx.figures.get("dispatch")
    if dispatch is not None:
        share = ratio_figure("floor_share", "engine dispatch as a share of the floor", dispatch, floor, unit="")
        share.values = [value * 100 for value in share.values]
        share.unit = "%"
        ctx.add(share)
    dataset.messages_clear()


def report_bodies(count: int) -> list[bytes]:
    """Infobip SMS delivery reports (built by the sandbox's own report code) for the accepted messages, 100 a POST."""
    from infobip_sandbox.protocol import outcome
    from infobip_sandbox.records import Record
    from notifications.models import Message, message_id_for

    now = time.time()
    rows = list(Message.objects.filter(state="accepted").order_by("pk").values_list("pk", "destination")[:count])
    reports = [
        Record(
            channel="sms",
            message_id=message_id_for(pk),
            bulk_id=f"bulk-{pk // 100}",
            destination=phone,
            sender="OutageInfo",
            sent_at=now - 2,
            due_at=now,
            outcome=outcome("sms", phone),
            callback_data="",
            reference="",
            parts=1,
            url="",
            text="",
        ).report()
        for pk, phone in rows
    ]
    return [json.dumps({"results": reports[i : i + 100]}).encode() for i in range(0, len(reports), 100)]


def phase_webhook(ctx: Ctx, gunicorn_url: str) -> None:
    from notifications.callbacks import current_url_token

    count = ctx.sizes.reports
    dataset.messages_clear()
    dataset.accepted_messages_create(count=count)
    bodies = report_bodies(count)
    path = reverse("notifications:infobip_reports", args=[current_url_token()])
    url = gunicorn_url + path

    def run(_index: int) -> float:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE notifications_message SET state = 'accepted', status_name = 'PENDING_ACCEPTED', "
                "error_code = '', error_text = '', done_at = NULL"
            )
            cursor.execute("TRUNCATE notifications_deliveryreport")
            cursor.execute("VACUUM ANALYZE notifications_message")
        applied: list[int] = []
        failures: list[str] = []
        jobs = iter(range(len(bodies)))
        lock = threading.Lock()

        def client() -> None:
            session = requests.Session()
            while True:
                with lock:
                    index = next(jobs, None)
                if index is None:
                    return
                response = session.post(
                    url, data=bodies[index], headers={"Content-Type": "application/json"}, timeout=60
                )
                if response.status_code != 200:
                    failures.append(f"{response.status_code} {response.text[:200]}")
                else:
                    applied.append(response.json()["applied"])

        threads = [threading.Thread(target=client) for _ in range(ctx.sizes.webhook_threads)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if failures or sum(applied) != count:
            raise RunFailed(f"{len(failures)} failed POSTs ({failures[:2]}), {sum(applied)} of {count} applied")
        return count / elapsed

    figure = timed_runs(
        ctx,
        Figure(
            key="webhook",
            label=f"delivery reports through the webhook, batches of 100, "
            f"{ctx.sizes.webhook_threads} client threads (reports/s)",
            unit="reports/s",
            target=10_000,
        ),
        run,
    )
    figure.note = f"{count:,} reports a run; gunicorn with {ctx.sizes.gunicorn_workers} sync workers"
    if ctx.profile:
        ctx.notes["profile_webhook_wall"] = profile_webhook(bodies[:50], path, ctx.stack.log_dir / "webhook.pstats")
    dataset.messages_clear()


def profile_webhook(bodies: list[bytes], path: str, dump: Path) -> str:
    """The same POSTs through Django's test client in this process (no network, no gunicorn) under cProfile."""
    from django.test import Client

    from bench.profiling import WEBHOOK_STEPS, shares_text, wall_profile

    with connection.cursor() as cursor:
        cursor.execute("UPDATE notifications_message SET state = 'accepted', done_at = NULL")
        cursor.execute("TRUNCATE notifications_deliveryreport")
    client = Client(SERVER_NAME="127.0.0.1")
    statuses = []

    def post_all() -> None:
        for body in bodies:
            statuses.append(client.post(path, data=body, content_type="application/json").status_code)

    wall, shares = wall_profile(post_all, WEBHOOK_STEPS, dump)
    if set(statuses) != {200}:
        raise RunFailed(f"webhook profile answered {sorted(set(statuses))}")
    reports = sum(len(json.loads(body)["results"]) for body in bodies)
    return f"{len(bodies)} POSTs ({reports:,} reports, {reports / wall:,.0f}/s in one thread), " + shares_text(
        wall, shares
    )


def phase_memory(ctx: Ctx) -> None:
    small = ctx.sizes.memory_small
    idle = ctx.sampler.sample() / 1024 / 1024
    ctx.notes["memory_idle"] = f"{idle:.0f} MB idle"

    def run_small(_index: int) -> float:
        with ctx.sampler.measure("memory-small") as measured:
            _campaign_once(ctx, bucket=ctx.buckets["memory"], channels=["sms", "email"], label="memory-small")
        return measured.peak_mb

    notes = []

    def run_all(_index: int) -> float:
        with ctx.sampler.measure("memory-all") as measured:
            result = _campaign_once(
                ctx,
                bucket=None,
                channels=["sms"],
                label="memory-all",
                timeout=1200,
                stop_after=ctx.sizes.million_seconds,
            )
        notes.append(
            f"{result['rows']:,} rows materialized by a worker in {result['materialized']:.1f} s, "
            f"{result['accepted']:,} accepted in the {ctx.sizes.million_seconds:.0f} s allowed, then "
            "cancelled"
        )
        return measured.peak_mb

    timed_runs(
        ctx,
        Figure(
            key="memory_small",
            label=f"worker peak RSS, {small:,} recipients × SMS + email (MB)",
            unit="MB",
            target=300,
            higher_is_better=False,
            note=f"idle {idle:.0f} MB",
        ),
        run_small,
    )
    figure = timed_runs(
        ctx,
        Figure(
            key="memory_all",
            label=f"worker peak RSS, all {ctx.sizes.clients:,} clients × SMS (MB)",
            unit="MB",
            target=300,
            higher_is_better=False,
        ),
        run_all,
    )
    figure.note = notes[0] if notes else ""
    dataset.messages_clear()


# Profiling -----------------------------------------------------------------------------------------------------


def start_profilers(ctx: Ctx, *, seconds: float) -> list[subprocess.Popen]:
    """py-spy on each worker's pool child for ``seconds`` (folded stacks in the run's log folder)."""
    import shutil

    py_spy = shutil.which("py-spy") or str(__import__("pathlib").Path(sys.executable).with_name("py-spy"))
    profilers = []
    for index, worker in enumerate(ctx.workers, start=1):
        children = tree(worker.pid)[1:]
        target = children[0].pid if children else worker.pid
        out = ctx.stack.log_dir / f"profile-worker-{index}.txt"
        profilers.append(
            subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(target),
                    "--duration",
                    str(int(seconds)),
                    "--rate",
                    "200",
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    ctx.notes["profile_files"] = str(ctx.stack.log_dir)
    return profilers

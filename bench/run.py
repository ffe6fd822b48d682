"""``make bench``: start the stack, build the data, run every phase, print the table, write RESULTS.md and the plot.

    .venv/bin/python -m bench                 # full sizes (about 15-20 minutes on 2 cores)
    .venv/bin/python -m bench --quick         # small sizes, a few minutes
    .venv/bin/python -m bench --only dispatch floor --runs 5 --profile

The run creates its own database ``<name>_run`` next to ``DATABASE_URL``'s (default
``postgres://postgres@127.0.0.1:5432/op_bench``) and drops it at the end, starts a private ``redis-server`` (or
uses ``--redis-url``), the sandbox, two Celery workers, gunicorn and an SMTP sink on free ports, and stops exactly
those processes when it ends, however it ends.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

from bench import infra
from bench.phases import Sizes

PHASES = (
    "audience",
    "materialize",
    "dispatch",
    "floor",
    "campaigns",
    "webhook",
    "memory",
    "public",
    "failover",
    "first",
    "switch",
)
QUICK = Sizes(
    clients=100_000,
    materialize=20_000,
    dispatch=20_000,
    campaign=2_000,
    reports=10_000,
    memory_small=2_000,
    million_seconds=5,
    public_seconds=5,
    failover=2_000,
    switch=5_000,
)
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/op_bench"
WORKERS = 2


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes for iteration")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--only", nargs="+", choices=PHASES, help="run these phases only")
    parser.add_argument("--skip", nargs="+", choices=PHASES, default=[], help="leave these phases out")
    parser.add_argument("--profile", action="store_true", help="py-spy the workers during the first dispatch run")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        help="server (and base name) of the run's database; the run uses <name>_run",
    )
    parser.add_argument("--redis-url", help="use this Redis DB (flushed!) instead of a private redis-server")
    parser.add_argument("--results", type=Path, default=infra.ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--plot", type=Path, default=infra.ROOT / "bench" / "dispatch.png")
    parser.add_argument("--keep-db", action="store_true", help="leave the run's database for inspection")
    for size in fields(Sizes):
        parser.add_argument(
            f"--{size.name.replace('_', '-')}",
            type=type(size.default),
            default=None,
            help=f"default {size.default:,} ({getattr(QUICK, size.name):,} with --quick)",
        )
    return parser.parse_args(argv)


def sizes_from(args: argparse.Namespace) -> Sizes:
    base = QUICK if args.quick else Sizes()
    chosen = {size.name: getattr(args, size.name) for size in fields(Sizes) if getattr(args, size.name) is not None}
    return Sizes(**{**{size.name: getattr(base, size.name) for size in fields(Sizes)}, **chosen})


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sizes_from(args)
    phases = [phase for phase in (args.only or PHASES) if phase not in args.skip]
    load_start = os.getloadavg()
    base_name = args.database_url.rstrip("/").rsplit("/", 1)[-1] or "op_bench"
    db = infra.Database(base_url=args.database_url, name=f"{base_name}_run")
    stack = infra.Stack()
    sampler = None
    log(f"logs in {stack.log_dir}; database {db.name}; phases {' '.join(phases)}")
    try:
        db.create()
        redis_pid = None
        if args.redis_url:
            redis_url = args.redis_url
            import redis

            redis.Redis.from_url(redis_url).flushdb()
        else:
            redis_child, redis_url = infra.start_redis(stack)
            redis_pid = redis_child.pid
        gunicorn_port = infra.free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "outage_portal.settings",
            "DATABASE_URL": db.url,
            "CELERY_BROKER_URL": redis_url,
            "REDIS_URL": redis_url,
            "INFOBIP_API_KEY": infra.SANDBOX_KEY,
            "INFOBIP_WEBHOOK_SECRET": infra.WEBHOOK_SECRET,
            "PORTAL_BASE_URL": f"http://127.0.0.1:{gunicorn_port}",
            "LOG_LEVEL": "WARNING",
            "DEBUG": "0",
            "PORTAL_PRODUCTION": "0",
            "INFOBIP_WHATSAPP_SENDER": "447491163862",  # the failover phase's first channel
        }
        sandbox = infra.start_sandbox(stack, env, report_delay=86_400)
        env["INFOBIP_BASE_URL"] = sandbox.url
        second = None
        if "switch" in phases:  # a second sandbox plays Twilio, the SMS secondary (bench/switch.py)
            from bench.switch import BREAKER_FAILURES

            second = infra.start_sandbox(stack, env, report_delay=86_400, name="sandbox-second")
            env.update(
                SMS_SECONDARY_PROVIDER="twilio",
                TWILIO_BASE_URL=second.url,
                TWILIO_ACCOUNT_SID="AC" + "0" * 32,
                TWILIO_AUTH_TOKEN=infra.SANDBOX_KEY,
                TWILIO_FROM="+15005550006",
                PROVIDER_BREAKER_FAILURES=str(BREAKER_FAILURES),
            )
        os.environ.update(env)

        import django

        django.setup()
        from django.core.management import call_command

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        log(f"migrated {db.name} in {time.perf_counter() - started:.1f} s")
        if "campaigns" in phases:
            _, smtp_port = infra.start_smtp_sink(stack)
            env["BENCH_SMTP_PORT"] = str(smtp_port)
            subprocess.run(
                [sys.executable, "-m", "django", "migrate", "post_office", "--verbosity", "0", "--skip-checks"],
                check=True,
                cwd=infra.ROOT,
                env={**env, "DJANGO_SETTINGS_MODULE": "bench.settings_post_office"},
            )

        from bench import phases as ph
        from bench.monitor import RssSampler

        workers = infra.start_workers(stack, env, count=WORKERS, include="bench.naive,bench.floor")
        sampler = RssSampler(lambda: [worker.pid for worker in workers]).start()
        ctx = ph.Ctx(
            sizes=sizes,
            runs=args.runs,
            stack=stack,
            db=db,
            sandbox=sandbox,
            workers=workers,
            env=env,
            sampler=sampler,
            redis_pid=redis_pid,
            profile=args.profile,
            log=log,
        )
        log(f"{WORKERS} workers up")
        if set(phases) - {"public", "failover", "switch"}:  # these three need none of the million clients
            log(f"building {sizes.clients:,} clients")
            ph.prepare_data(ctx)
        gunicorn_url = None
        for phase in phases:
            log(f"phase {phase}")
            started = time.perf_counter()
            try:
                if phase in ("webhook", "failover") and gunicorn_url is None:
                    _, gunicorn_url = infra.start_gunicorn(
                        stack, env, workers=sizes.gunicorn_workers, port=gunicorn_port
                    )
                if phase == "webhook":
                    ph.phase_webhook(ctx, gunicorn_url)
                elif phase == "failover":
                    from bench.failover import phase_failover

                    phase_failover(ctx)
                elif phase == "first":
                    from bench.first_message import phase_first

                    phase_first(ctx)
                elif phase == "switch" and second is not None:
                    from bench.switch import phase_switch

                    phase_switch(ctx, second)
                elif phase == "public":
                    from bench.public_load import phase_public

                    phase_public(ctx, env)
                else:
                    getattr(ph, f"phase_{phase}")(ctx)
            except Exception as error:  # noqa: BLE001 - report the phase as failed and go on with the others
                log(f"phase {phase} failed: {type(error).__name__}: {error}")
                ctx.notes[f"phase_{phase}"] = f"failed: {type(error).__name__}: {error}"
            log(f"phase {phase} took {time.perf_counter() - started:.0f} s")
        if args.profile:
            from bench.profiling import summarize

            ctx.notes["profile_dispatch"] = summarize(stack.log_dir)
        write_outputs(ctx, args, sizes, load_start=load_start, redis_url=redis_url)
        return 0 if not any(figure.error for figure in ctx.figures.values()) else 1
    finally:
        if sampler is not None:
            sampler.stop()
        stack.stop_all()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # noqa: BLE001,S110 - Django may not be set up if the run failed early
            pass
        if not args.keep_db:
            db.drop()


def write_outputs(ctx, args: argparse.Namespace, sizes: Sizes, *, load_start, redis_url: str) -> None:
    import redis
    from django.conf import settings

    from bench import report

    description = report.machine(
        redis_version=redis.Redis.from_url(redis_url).info("server")["redis_version"], load_start=load_start
    )
    setup = {
        "sizes": ", ".join(f"{size.name}={getattr(sizes, size.name):,}" for size in fields(Sizes)),
        "workers": f"{WORKERS} `celery -A outage_portal worker` processes, prefork pool, concurrency 1 each, "
        "no beat, log level WARNING",
        "engine settings": f"defaults of outage_portal/settings.py (DISPATCH_BATCH_SIZE {settings.DISPATCH_BATCH_SIZE},"
        f" DISPATCH_PARALLELISM {settings.DISPATCH_PARALLELISM})",
        "sandbox": "`python -m infobip_sandbox`, delivery reports held back (report delay 1 day) during sends",
        "services": "PostgreSQL (the configured server, a throw-away database), a private redis-server, gunicorn "
        "and an aiosmtpd sink, all on free ports of 127.0.0.1",
    }
    command = "make bench" + ("" if len(sys.argv) <= 1 else " / python -m bench " + shlex.join(sys.argv[1:]))
    figures = report.ordered(ctx.figures)
    print()
    print(report.table_text(figures))
    for key in ("dispatch_cpu", "profile_dispatch"):
        if key in ctx.notes:
            print(f"\n{key}: {ctx.notes[key]}")
    for key, value in ctx.notes.items():
        if key.startswith("phase_"):
            print(f"{key}: {value}")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    if list(ctx.figures) and all(key.startswith("failover_") for key in ctx.figures) and args.results.exists():
        from bench.failover import failover_section_update

        args.results.write_text(
            failover_section_update(
                args.results.read_text(), ctx.figures, notes=ctx.notes, description=description, command=command
            )
        )
        log(f"updated the failover section of {args.results}")
        return
    if list(ctx.figures) and all(key.startswith("public_") for key in ctx.figures) and args.results.exists():
        # Only the public pages were measured: their section is replaced, the other figures stay as they were.
        args.results.write_text(
            report.public_section_update(
                args.results.read_text(), ctx.figures, notes=ctx.notes, description=description, command=command
            )
        )
        log(f"updated the public pages' section of {args.results}")
        return
    chosen = set(args.only or PHASES) - set(args.skip)
    if "first" in chosen and chosen <= report.FIRST_PHASES and args.results.exists():
        # The first-message figures (and the bulk rate beside them) get their own section; the rest stays.
        args.results.write_text(
            report.first_section_update(
                args.results.read_text(), ctx.figures, notes=ctx.notes, description=description, command=command
            )
        )
        log(f"updated the first-message section of {args.results}")
        return
    args.results.write_text(
        report.results_markdown(
            figures=ctx.figures,
            description=description,
            settings=setup,
            notes=ctx.notes,
            runs=args.runs,
            command=command,
        )
    )
    if ctx.timelines:
        report.plot(ctx.timelines, args.plot, campaign=sizes.campaign)
    log(f"wrote {args.results}" + (f" and {args.plot}" if ctx.timelines else ""))

"""CPU profile of the dispatch path in one process: claim, render, HTTP to the sandbox, record (cProfile).

    DATABASE_URL=postgres://…/op_perf .venv/bin/python bench/profile_dispatch.py [--clients 20000] [--batch 1000]

Migrates the given database, creates the clients once, starts ``python -m infobip_sandbox`` on a free port (its
reports go to a closed port after a long delay, so they cost nothing here), materializes a fresh SMS + email send
and runs ``dispatch_run`` for each channel under cProfile, serially (``DISPATCH_PIPELINE`` off, so every step is
in the profiled thread). Prints messages per second, CPU microseconds per message and the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--pipeline", action="store_true", help="profile with the sender thread on (main thread only)")
    args = parser.parse_args()

    import django
    from django.conf import settings

    port = free_port()
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infobip_sandbox",
            "--port",
            str(port),
            "--api-key",
            "k",
            "--report-delay",
            "3600",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    django.setup()
    import logging

    logging.getLogger("notifications").setLevel(logging.WARNING)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    settings.INFOBIP_BASE_URL = f"http://127.0.0.1:{port}"
    settings.INFOBIP_API_KEY = "k"
    settings.PORTAL_BASE_URL = f"http://127.0.0.1:{free_port()}"
    settings.DISPATCH_BATCH_SIZE = args.batch
    settings.DISPATCH_PIPELINE = args.pipeline

    from bench.dataset import materialize_unrung
    from clients.models import Client
    from notifications.models import Message, Send
    from notifications.services.dispatch import dispatch_run
    from tests.pipeline.factories import CONTENT, VARIABLES

    have = Client.objects.filter(external_ref__startswith="P-").count()
    if have < args.clients:
        Client.objects.bulk_create(
            [
                Client(
                    external_ref=f"P-{i:07d}",
                    name=f"Client {i}",
                    phone=f"+3362{i:07d}",
                    language="fr" if i % 4 == 0 else "en",
                    email=f"p{i}@customer.example.com",
                )
                for i in range(have, args.clients)
            ],
            batch_size=5000,
        )
    Message.objects.all().delete()
    Send.objects.all().delete()
    audience = {
        "clients": list(
            Client.objects.filter(external_ref__startswith="P-")
            .order_by("pk")
            .values_list("pk", flat=True)[: args.clients]
        )
    }
    send = Send.objects.create(
        label="profile", channels=["sms", "email"], audience=audience, content=CONTENT, variables=VARIABLES
    )
    started = time.perf_counter()
    rows = materialize_unrung(send.pk)
    print(f"materialize: {rows:,} rows in {time.perf_counter() - started:.2f}s")  # noqa: T201
    for _ in range(100):  # the sandbox is up by now in practice; wait for it otherwise
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    profiler = cProfile.Profile()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    profiler.enable()
    for channel in ("sms", "email"):
        dispatch_run(send_id=send.pk, channel=channel)
    profiler.disable()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    done = Message.objects.filter(send=send, state="accepted").count()
    print(
        f"dispatch: {done:,} accepted in {wall:.2f}s = {done / wall:,.0f} msg/s in one process; "  # noqa: T201
        f"this process used {cpu:.2f} CPU s = {cpu / done * 1e6:.0f} us/message"
    )
    pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
    sandbox.terminate()
    sandbox.wait(timeout=10)


if __name__ == "__main__":
    main()

"""Run the whole portal on one machine: the Infobip sandbox, a Celery worker with beat, and the web server.

Each part is a child process whose output is prefixed with its name. Ctrl-C or SIGTERM stops them all; if one dies
the others are stopped and the command exits non-zero, so a half-running portal never looks healthy. The children
get ``PORTAL_BASE_URL`` (delivery reports come back here) and ``INFOBIP_BASE_URL`` (messages go to the sandbox).

The output stays readable: the children run with ``PORTAL_QUIET_LOGS=1`` (settings: no line per task, per beat
tick or per page served; warnings, errors and what the portal itself reports still show) and the worker without
Celery's banner, so the ready banner and the demo logins stay on screen. ``--verbose`` shows everything.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from campaigns.management.commands.seed_demo import DEMO_LOGINS
from campaigns.management.embedded_prepare import prepare
from campaigns.management.embedded_second import second_providers

STOP_GRACE_SECONDS = 15
WORKER_READY = re.compile(r"@\S+ ready\.$")  # celery.apps.worker logs "<node name> ready."


@dataclass
class Child:
    """One supervised process, and how to tell it is ready (a port that answers or a line it prints)."""

    name: str
    argv: list[str]
    port: int | None = None
    ready_line: re.Pattern[str] | None = None
    process: subprocess.Popen[str] | None = None
    saw_ready_line: threading.Event = field(default_factory=threading.Event)

    @property
    def started(self) -> subprocess.Popen[str]:
        """The process, once ``_start`` made it."""
        if self.process is None:
            raise RuntimeError(f"{self.name} was not started")
        return self.process

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def is_ready(self, host: str) -> bool:
        if self.ready_line is not None and not self.saw_ready_line.is_set():
            return False
        return self.port is None or _port_answers(host, self.port)


def _port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    """Signal the child's whole process group, so pool processes and embedded beat go too."""
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def demo_logins() -> list[tuple[str, str, str]]:
    """The (username, password, role) triples seed_demo declares, for the users it has created in this database."""
    declared = list(DEMO_LOGINS)
    try:
        present = set(
            User.objects.filter(username__in=[login[0] for login in declared]).values_list("username", flat=True)
        )
    except DatabaseError:  # not migrated yet
        return []
    return [login for login in declared if login[0] in present]


class Command(BaseCommand):
    help = "Serve the portal with its Celery worker (and beat) and the bundled Infobip sandbox, as child processes."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Interface to bind (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Web server port (default 8000).")
        parser.add_argument("--sandbox-port", type=int, default=8025, help="Infobip sandbox port (default 8025).")
        parser.add_argument("--no-sandbox", action="store_true", help="Use INFOBIP_BASE_URL as configured.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the Celery worker and beat.")
        parser.add_argument("--concurrency", type=int, default=2, help="Celery worker processes (default 2).")
        parser.add_argument("--ready-timeout", type=float, default=120.0, help="Seconds to wait for start-up.")
        parser.add_argument(
            "--verbose", action="store_true", help="Every log line: each task, beat tick and page served."
        )
        parser.add_argument(
            "--prepare", action="store_true", help="First migrate, create the cache table and load the demo data once."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.host = options["host"]
        self.output_lock = threading.Lock()
        self.stop_requested = threading.Event()
        base_url = f"http://{self.host}:{options['port']}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PORTAL_BASE_URL": base_url}
        if not options["verbose"]:
            env.setdefault("PORTAL_QUIET_LOGS", "1")
        if not options["no_sandbox"]:
            env["INFOBIP_BASE_URL"] = f"http://{self.host}:{options['sandbox_port']}"
            # The sandbox plays Twilio / Postmark too when they are named (docs/providers.md).
            env.update(second_providers(env, options, sandbox_url=env["INFOBIP_BASE_URL"], portal_url=base_url))
        Path(settings.VAR_DIR).mkdir(parents=True, exist_ok=True)
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # WhiteNoise warns when it is missing
        if options["prepare"]:
            prepare(lambda line: self._say("portal", line))
        children = self._children(options)

        previous = {sig: signal.signal(sig, self._request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        failure = ""
        try:
            for child in children:
                self._start(child, env)
            failure = self._wait_until_ready(children, options["ready_timeout"])
            if not failure and not self.stop_requested.is_set():
                self._print_banner(base_url, env.get("INFOBIP_BASE_URL") or str(settings.INFOBIP_BASE_URL), options)
                failure = self._supervise(children)
        finally:
            self._stop_all(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failure:
            raise CommandError(failure)
        self._say("portal", "stopped cleanly")

    def _children(self, options: dict[str, Any]) -> list[Child]:
        python, manage = sys.executable, str(Path(settings.BASE_DIR) / "manage.py")
        children = []
        if not options["no_sandbox"]:
            children.append(
                Child(
                    name="sandbox",
                    argv=[python, "-m", "infobip_sandbox", "--port", str(options["sandbox_port"]), *options["extra"]],
                    port=options["sandbox_port"],
                )
            )
        if not options["no_worker"]:
            children.append(
                Child(
                    name="worker",
                    argv=[
                        python,
                        "-m",
                        "celery",
                        *([] if options["verbose"] else ["--quiet"]),  # no ASCII-art banner
                        "-A",
                        "outage_portal",
                        "worker",
                        "-B",
                        "-l",
                        "info",
                        "--concurrency",
                        str(options["concurrency"]),
                        "-n",
                        f"embedded-{options['port']}@%h",
                        # One worker, no cluster: skip the broadcast chatter the filesystem broker has no use for.
                        # Celery's heartbeat stays on: it is what refreshes the portal's worker heartbeat, which
                        # /readyz reads (outage_portal/heartbeat.py); with task events off it sends nothing.
                        "--without-gossip",
                        "--without-mingle",
                    ],
                    ready_line=WORKER_READY,
                )
            )
        children.append(
            Child(
                name="web",
                argv=[python, manage, "runserver", "--noreload", f"{self.host}:{options['port']}"],
                port=options["port"],
            )
        )
        return children

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stop_requested.set()

    def _say(self, name: str, line: str) -> None:
        self._write([f"{name:<8}| {line}"])

    def _write(self, lines: list[str]) -> None:
        """Print, unless the output is gone (``make run | tee`` stopped by the same Ctrl-C): stopping the children
        must never fail on a closed pipe, or they would outlive the command."""
        with self.output_lock:
            try:
                for line in lines:
                    self.stdout.write(line)
                self.stdout.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass

    def _start(self, child: Child, env: dict[str, str]) -> None:
        child.process = subprocess.Popen(
            child.argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,  # Ctrl-C reaches only this command, which then stops children in order.
        )
        self._say("portal", f"started {child.name} (pid {child.process.pid}): {' '.join(child.argv[1:])}")
        threading.Thread(target=self._relay, args=(child,), daemon=True).start()

    def _relay(self, child: Child) -> None:
        for line in child.started.stdout or ():
            line = line.rstrip("\n")
            if child.ready_line is not None and child.ready_line.search(line):
                child.saw_ready_line.set()
            self._say(child.name, line)

    def _dead_child(self, children: list[Child]) -> str:
        for child in children:
            if not child.alive:
                return f"{child.name} exited with status {child.started.returncode}"
        return ""

    def _wait_until_ready(self, children: list[Child], timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while not all(child.is_ready(self.host) for child in children):
            if self.stop_requested.is_set():
                return ""
            dead = self._dead_child(children)
            if dead:
                return dead
            if time.monotonic() > deadline:
                waiting = ", ".join(child.name for child in children if not child.is_ready(self.host))
                return f"not ready after {timeout:.0f}s: {waiting}"
            time.sleep(0.2)
        return ""

    def _supervise(self, children: list[Child]) -> str:
        while not self.stop_requested.wait(0.5):
            dead = self._dead_child(children)
            if dead:
                return dead
        return ""

    def _stop_all(self, children: list[Child]) -> None:
        """SIGTERM each child (web first, sandbox last), wait, then SIGKILL whatever is left of its group."""
        started = [child for child in reversed(children) if child.process is not None]
        for child in started:
            if child.alive:
                self._say("portal", f"stopping {child.name}")
                child.started.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in started:
            try:
                child.started.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._say("portal", f"{child.name} did not stop in {STOP_GRACE_SECONDS}s; killing it")
            _signal_group(child.started, signal.SIGKILL)
            child.started.wait()

    def _print_banner(self, base_url: str, infobip_url: str, options: dict[str, Any]) -> None:
        lines = ["", f"Outage Portal is running at {base_url}/", f"  Django admin:    {base_url}/admin/"]
        if not options["no_sandbox"]:
            lines.append(f"  Infobip sandbox: {infobip_url}/")
        lines.append(f"  Celery worker:   {'off (--no-worker)' if options['no_worker'] else 'running, with beat'}")
        logins = demo_logins()
        if logins:
            lines.append("  Demo logins:")
            width = max(len(username) for username, _, _ in logins) + 2
            pwidth = max(len(password) for _, password, _ in logins) + 2
            lines += [f"    {username:<{width}}{password:<{pwidth}}{role}" for username, password, role in logins]
        else:
            lines.append("  No demo logins in this database: `manage.py seed_demo` makes them.")
        lines += ["Press Ctrl-C to stop.", ""]
        self._write(lines)

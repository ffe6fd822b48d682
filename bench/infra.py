"""The servers a benchmark run starts, each on a free port on 127.0.0.1, and stops again (only its own).

A throw-away PostgreSQL database on the configured server, a private ``redis-server`` (or a given Redis DB), the
Infobip sandbox, Celery workers, gunicorn and an SMTP sink, all as child processes in their own process groups so a
stop reaches their children and nothing else.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
SANDBOX_KEY = "bench-sandbox-key"
WEBHOOK_SECRET = "bench-webhook-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # noqa: BLE001 - a server that is still starting answers with anything
            pass
        time.sleep(interval)
    raise RuntimeError(f"{what} was not ready within {timeout:.0f} s")


# PostgreSQL ----------------------------------------------------------------------------------------------------


def database_url_with_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@dataclass
class Database:
    """A database created for this run on the server of ``base_url`` and dropped at the end."""

    base_url: str
    name: str

    @property
    def url(self) -> str:
        return database_url_with_name(self.base_url, self.name)

    def _admin(self):
        import psycopg2

        connection = psycopg2.connect(database_url_with_name(self.base_url, "postgres"))
        connection.autocommit = True
        return connection

    def create(self) -> Database:
        self.drop()
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            connection.close()
        return self

    def drop(self) -> None:
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                    "AND pid <> pg_backend_pid()",
                    [self.name],
                )
                cursor.execute(f'DROP DATABASE IF EXISTS "{self.name}"')
        finally:
            connection.close()

    def backend_pids(self) -> list[int]:
        connection = self._admin()
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", [self.name])
                return [row[0] for row in cursor.fetchall()]
        finally:
            connection.close()


# Child processes -----------------------------------------------------------------------------------------------


@dataclass
class Child:
    """One child process in its own session (process group); its output goes to a log file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log_dir: Path
    process: subprocess.Popen | None = None
    _log: object = None

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"{self.name}.log"

    def start(self) -> Child:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check_alive(self) -> bool:
        if not self.alive():
            raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log_tail()}")
        return True

    def log_tail(self, size: int = 3000) -> str:
        try:
            return self.log_path.read_bytes()[-size:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        if self.alive():
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass
class Stack:
    """Everything a run started; ``stop_all`` stops it in reverse order."""

    log_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="op-bench-")))
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> Child:
        child = Child(name=name, command=command, env=env, log_dir=self.log_dir).start()
        self.children.append(child)
        return child

    def stop(self, child: Child) -> None:
        child.stop()
        if child in self.children:
            self.children.remove(child)

    def stop_all(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()


def start_redis(stack: Stack) -> tuple[Child, str]:
    """A private redis-server without persistence on a free port; returns it and its URL (DB 0)."""
    binary = shutil.which("redis-server")
    if not binary:
        raise RuntimeError("redis-server is not on PATH: install it or pass --redis-url")
    port = free_port()
    child = stack.start(
        "redis",
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "no",
        ],
        dict(os.environ),
    )
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    wait_for(lambda: child.check_alive() and redis.Redis.from_url(url).ping(), timeout=20, what="redis-server")
    return child, url


@dataclass
class Sandbox:
    child: Child
    url: str

    def reset(self) -> None:
        requests.post(f"{self.url}/_sandbox/reset", timeout=30).raise_for_status()

    def stats(self, *, ids: bool = False) -> dict:
        params = {"ids": "1"} if ids else None
        return requests.get(f"{self.url}/_sandbox/stats", params=params, timeout=60).json()

    def configure(self, **changes: object) -> None:
        requests.post(f"{self.url}/_sandbox/config", json=changes, timeout=30).raise_for_status()


def start_sandbox(stack: Stack, env: dict[str, str], *, report_delay: float, name: str = "sandbox") -> Sandbox:
    """``python -m infobip_sandbox``; a long report delay keeps delivery reports out of the send measurements."""
    port = free_port()
    child = stack.start(
        name,
        [
            sys.executable,
            "-m",
            "infobip_sandbox",
            "--port",
            str(port),
            "--api-key",
            SANDBOX_KEY,
            "--report-delay",
            str(report_delay),
        ],
        env,
    )
    sandbox = Sandbox(child=child, url=f"http://127.0.0.1:{port}")
    wait_for(lambda: child.check_alive() and sandbox.stats() is not None, timeout=60, what="the sandbox")
    return sandbox


def start_workers(stack: Stack, env: dict[str, str], *, count: int, include: str) -> list[Child]:
    """``count`` Celery workers, prefork with concurrency 1 each, no beat; ready once each answers a ping."""
    workers = []
    for index in range(1, count + 1):
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "outage_portal",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "-Q",
            "celery",
            "--loglevel",
            "WARNING",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"bench{index}@%h",
            "-I",
            include,
        ]
        workers.append(stack.start(f"worker-{index}", command, env))
    from outage_portal.celery import app

    def all_answer() -> bool:
        for worker in workers:
            worker.check_alive()
        replies = app.control.ping(timeout=0.5) or []
        names = {name.split("@")[0] for reply in replies for name in reply}
        return all(f"bench{index}" in names for index in range(1, count + 1))

    wait_for(all_answer, timeout=90, what="the Celery workers", interval=0.5)
    return workers


def start_gunicorn(stack: Stack, env: dict[str, str], *, workers: int, port: int) -> tuple[Child, str]:
    child = stack.start(
        "gunicorn",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "outage_portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(
        lambda: child.check_alive() and requests.get(f"{url}/healthz", timeout=2).status_code < 500,
        timeout=60,
        what="gunicorn",
    )
    return child, url


def start_smtp_sink(stack: Stack) -> tuple[Child, int]:
    """aiosmtpd's ``Sink`` handler: accepts every message and keeps nothing."""
    port = free_port()
    child = stack.start(
        "smtp-sink",
        [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink", "-l", f"127.0.0.1:{port}"],
        dict(os.environ),
    )

    def answers() -> bool:
        child.check_alive()
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            return sock.recv(64).startswith(b"220")

    wait_for(answers, timeout=30, what="the SMTP sink")
    return child, port

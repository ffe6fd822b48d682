"""Start ``manage.py`` commands as real subprocesses on a throwaway SQLite database, as ``make run`` does."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
MANAGE = str(BASE_DIR / "manage.py")
SETTINGS_FILE = BASE_DIR / "outage_portal" / "settings.py"
READS = re.compile(r"""(?:\benv(?:_bool|_int|_float|_list)?|os\.environ\.get)\(\s*["']([A-Z0-9_]+)["']""")


def settings_variables() -> set[str]:
    """Every environment variable outage_portal/settings.py reads."""
    return set(READS.findall(SETTINGS_FILE.read_text()))


def clean_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh laptop: portal defaults only, with var/ in a temporary directory."""
    dropped = settings_variables() | {"PORTAL_VAR_DIR", "TEST_FORCE_SQLITE", "DJANGO_SETTINGS_MODULE"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update(DJANGO_SETTINGS_MODULE="outage_portal.settings", PORTAL_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, MANAGE, *args],
        env=env,
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


class Running:
    """A ``run_embedded`` subprocess whose output is collected line by line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, MANAGE, "run_embedded", *args],
            env=env,
            cwd=BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            if self.process.poll() is not None:
                self._reader.join(5)
                raise AssertionError(f"run_embedded exited ({self.process.returncode}) before {text!r}:\n{self.output}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} after {timeout}s:\n{self.output}")
            time.sleep(0.2)

    def child_pids(self) -> dict[str, int]:
        """The children run_embedded says it started, by name."""
        found = (re.search(r"started (\w+) \(pid (\d+)\)", line) for line in self.lines)
        return {match[1]: int(match[2]) for match in found if match}

    def stop(self, timeout: float = 60) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._reader.join(5)
        return code


def live_group_members(pgid: int) -> list[int]:
    """Processes (not zombies) still in a process group: a child's pool and beat processes share its group."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        state, pgrp = fields[0], int(fields[2])
        if pgrp == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members

"""Fixtures of the reliability suite: a Redis server of the test's own, on a free port, that it may kill and restart.

Only processes a test started are ever signalled: this Redis, the test's worker processes (``celery_worker_factory``)
and, for PostgreSQL, backends of the test's own database.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.fixtures.sandbox import free_port


class RedisServer:
    """``redis-server`` without persistence on a fixed free port: ``kill()`` loses every queued message."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.TemporaryDirectory(prefix="reliability-redis-")
        self.process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        log = open(Path(self._dir.name) / "redis.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                self._dir.name,
                "--maxmemory-policy",
                "noeviction",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self._wait(up=True)

    def kill(self) -> None:
        """SIGKILL: no shutdown save, connections reset, everything in memory gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.kill()
        self.start()

    def _wait(self, *, up: bool, timeout: float = 10.0) -> None:
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(
            f"redis-server on port {self.port} did not start: "
            f"{(Path(self._dir.name) / 'redis.log').read_text(errors='replace')[-2000:]}"
        )

    def close(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._dir.cleanup()


@pytest.fixture
def own_redis():
    """A Redis server that only this test uses; stopped at teardown."""
    server = RedisServer()
    yield server
    server.close()

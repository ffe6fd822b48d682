"""``make bench`` at tiny sizes: the harness starts its stack, runs every phase once and writes its outputs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from bench.infra import Database, database_url_with_name
from bench.report import ORDER

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.worker, pytest.mark.timeout(180)]

TINY = [
    "--runs",
    "1",
    "--clients",
    "3000",
    "--materialize",
    "600",
    "--dispatch",
    "1000",
    "--campaign",
    "150",
    "--reports",
    "500",
    "--memory-small",
    "150",
    "--public-seconds",
    "1",
    "--million-seconds",
    "1",
    "--failover",
    "300",
    "--switch",
    "400",
]


def _base_url() -> str:
    data = settings.DATABASES["default"]
    user = data.get("USER") or "postgres"
    password = f":{data['PASSWORD']}" if data.get("PASSWORD") else ""
    server = f"postgres://{user}{password}@{data.get('HOST') or '127.0.0.1'}:{data.get('PORT') or 5432}/x"
    return database_url_with_name(server, f"{data['NAME']}_smoke")


def test_bench_runs_every_phase_and_writes_results(tmp_path: Path) -> None:
    """Every figure gets a value, sends are checked against the sandbox, outputs are written, the database dropped."""
    base = _base_url()
    results, plot = tmp_path / "RESULTS.md", tmp_path / "dispatch.png"
    command = [
        sys.executable,
        "-m",
        "bench",
        *TINY,
        "--database-url",
        base,
        "--results",
        str(results),
        "--plot",
        str(plot),
    ]
    if not shutil.which("redis-server"):
        command += ["--redis-url", os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")]
    completed = subprocess.run(
        command,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=170,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    text = results.read_text()
    assert "## Machine" in text and "PostgreSQL" in text and "load average at end" in text
    assert "| error |" not in text and "** failed: " not in text  # no figure in error (the report's own lines)
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Figure")]
    # Every ordered figure, plus the first-message phase's two at the only size that fits 3,000 clients (all of them)
    # and the provider switch's two (primary answering, primary failing half-way).
    assert len(rows) == len(ORDER) + 4
    assert "time to first accepted, 3,000 clients (all)" in text
    assert "primary failing half-way: all accepted, switch included" in text
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "median" in completed.stdout and "engine ÷ naive sender" in completed.stdout
    name = base.rsplit("/", 1)[1] + "_run"
    connection = Database(base_url=base, name=name)._admin()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name])
            assert cursor.fetchone()[0] == 0, "the run's database was left behind"
    finally:
        connection.close()

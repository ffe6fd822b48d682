"""The development signing key is the machine's own: made once in var/secret_key (0600) and kept, never a key
written in the source (issue 12: the fixed development key was public, so anyone could sign a customer link or a
session for a laptop or a forgotten demo server). Production still refuses to start without SECRET_KEY."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRINT_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def _env(var_dir: Path, **extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "SYSTEMROOT")
    env = {key: os.environ[key] for key in keep if key in os.environ}
    env.update(DJANGO_SETTINGS_MODULE="outage_portal.settings", PORTAL_VAR_DIR=str(var_dir), **extra)
    return env


def _key(var_dir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PRINT_KEY], cwd=ROOT, env=_env(var_dir, **extra), capture_output=True, text=True
    )


def test_a_laptop_gets_its_own_key_once_and_keeps_it(tmp_path: Path) -> None:
    first = _key(tmp_path)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    stored = tmp_path / "secret_key"
    assert stored.read_text().strip() == key and len(key) >= 50
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert "dev-only" not in key and "insecure" not in key
    assert _key(tmp_path).stdout.strip() == key  # kept: sessions and customer links survive a restart
    other = tmp_path / "other"
    assert _key(other).stdout.strip() not in ("", key)  # another checkout, another key


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    """make run starts the web server, the worker and beat at once: they must sign with the same key."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PRINT_KEY], cwd=ROOT, env=_env(tmp_path), stdout=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    keys = {process.communicate(timeout=120)[0].strip() for process in processes}
    assert len(keys) == 1 and keys != {""}
    assert [p.name for p in tmp_path.iterdir() if "secret_key" in p.name] == ["secret_key"]  # no temporary file left


@pytest.mark.parametrize("name", ["SECRET_KEY", "DJANGO_SECRET_KEY"])
def test_a_key_from_the_environment_wins_and_nothing_is_written(tmp_path: Path, name: str) -> None:
    given = "k" * 60
    assert _key(tmp_path, **{name: given}).stdout.strip() == given
    assert not (tmp_path / "secret_key").exists()


def test_production_still_requires_the_key(tmp_path: Path) -> None:
    result = _key(tmp_path, PORTAL_PRODUCTION="1", INFOBIP_API_KEY="x", INFOBIP_WEBHOOK_SECRET="x")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "secret_key").exists()

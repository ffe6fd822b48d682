"""Production settings pass Django's deployment checklist, and collectstatic works with the manifest storage."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "PORTAL_PRODUCTION": "1",
    "SECRET_KEY": "deploy-check-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6-not-real",
    "INFOBIP_API_KEY": "x",
    "INFOBIP_WEBHOOK_SECRET": "x",
    "ALLOWED_HOSTS": "portal.example.com",
    "PORTAL_BASE_URL": "https://portal.example.com",
    "DJANGO_SETTINGS_MODULE": "outage_portal.settings",
}


def _run(args: list[str], **extra: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    env.update(PRODUCTION_ENV, **extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_under_production_settings():
    """`manage.py check --deploy --fail-level WARNING` exits 0 with no issue under PORTAL_PRODUCTION=1."""
    result = _run(["check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_a_weak_secret_key():
    """The same check fails when the secret key is short: the test can tell a bad configuration apart."""
    result = _run(["check", "--deploy", "--fail-level", "WARNING"], SECRET_KEY="short")
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_production_requires_its_secrets():
    """PORTAL_PRODUCTION=1 without SECRET_KEY refuses to start."""
    env = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DJANGO_SECRET_KEY")}
    env.update({key: value for key, value in PRODUCTION_ENV.items() if key != "SECRET_KEY"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_collectstatic_builds_the_hashed_manifest(tmp_path):
    """collectstatic under production settings writes hashed, compressed files and the manifest."""
    result = _run(["collectstatic", "--noinput"], STATIC_ROOT=str(tmp_path))
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()
    hashed = list((tmp_path / "vendor" / "bootstrap").glob("bootstrap.min.*.css"))
    assert hashed and any(path.with_name(path.name + ".gz").exists() for path in hashed)

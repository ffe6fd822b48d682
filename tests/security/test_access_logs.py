"""No secret in any log a request leaves: gunicorn's access and error logs, Django's runserver log, our own logs.

Real servers are started (gunicorn with the project's gunicorn.conf.py, as the Docker image runs it, and
``manage.py runserver``, as ``make run`` does), requests carrying a webhook secret and customers' link tokens are
sent, and everything the processes wrote is read back.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec-Zq8vN3xT5kL2pR7m"
TOKEN = "eyJjIjo0Mn0:1uZxYz:Abc-DEF_ghi123JKLmno456PQRstu789"
PATHS = [
    f"/c/unsubscribe/{TOKEN}/?m=op-1",
    f"/c/preferences/{TOKEN}/",
    f"/c/signup/confirm/{TOKEN}/",
    f"/webhooks/infobip/reports/{WEBHOOK_SECRET}/",
    f"/webhooks/infobip/inbound/{WEBHOOK_SECRET}/",
    f"/webhooks/infobip/messages-inbound/{WEBHOOK_SECRET}/",
    "/c/unsubscribe/another-token-never-valid/",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "PORTAL_", "DJANGO_SETTINGS"))}
    env.update(
        DJANGO_SETTINGS_MODULE="outage_portal.settings",
        PORTAL_VAR_DIR=str(tmp_path),
        SECRET_KEY="log-test-secret-key-0123456789-0123456789-abcdef",
        INFOBIP_WEBHOOK_SECRET=WEBHOOK_SECRET,
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    return env


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited"
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


def _hit(base: str) -> None:
    for path in PATHS:
        for method, data in (("GET", None), ("POST", b"{}")):
            request = urllib.request.Request(
                base + path, data=data, method=method, headers={"Referer": base + PATHS[0], "X-Note": base + path}
            )
            try:
                urllib.request.urlopen(request, timeout=10).read()
            except urllib.error.HTTPError as error:
                error.read()


def _serve_and_read(command: list[str], tmp_path: Path, port: int) -> str:
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=_env(tmp_path), stdout=out, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base + "/healthz", process)
            _hit(base)
            time.sleep(1.0)  # let the server flush its last lines
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return log.read_text(errors="replace")


def _assert_redacted(output: str) -> None:
    assert "/c/unsubscribe/" in output, output[-3000:]  # the requests were logged...
    for secret in (TOKEN, WEBHOOK_SECRET, "another-token-never-valid", "1uZxYz", "Zq8vN3xT5kL2pR7m"):
        assert secret not in output  # ...without the tokens
    assert "[redacted]" in output


def test_gunicorn_access_and_error_logs_carry_no_token(tmp_path: Path) -> None:
    """The image's command: gunicorn with gunicorn.conf.py (access log on stdout, request line and Referer)."""
    port = _free_port()
    output = _serve_and_read(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "outage_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        tmp_path,
        port,
    )
    _assert_redacted(output)
    assert '"GET /c/preferences/[redacted]/ HTTP/1.1" 400' in output
    assert "/c/unsubscribe/[redacted]/?m=op-1" in output


def test_runserver_log_carries_no_token(tmp_path: Path) -> None:
    """``make run``'s web server: Django's django.server lines and the django.request warnings."""
    port = _free_port()
    output = _serve_and_read(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"], tmp_path, port
    )
    _assert_redacted(output)
    assert "Bad Request: /c/preferences/[redacted]/" in output


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (f"GET /c/unsubscribe/{TOKEN}/ HTTP/1.1", "GET /c/unsubscribe/[redacted]/ HTTP/1.1"),
        (f"http://x/c/signup/confirm/{TOKEN}/", "http://x/c/signup/confirm/[redacted]/"),
        (f"/webhooks/infobip/reports/{WEBHOOK_SECRET}", "/webhooks/infobip/reports/[redacted]"),
        ("/webhooks/infobip/inbound/ HTTP/1.1", "/webhooks/infobip/inbound/ HTTP/1.1"),
        (f"/c/preferences/{TOKEN}%2Fx/?lang=fr", "/c/preferences/[redacted]/?lang=fr"),
    ],
)
def test_the_redaction_of_paths(line: str, expected: str) -> None:
    from outage_portal.redaction import redact_url_secrets

    assert redact_url_secrets(line) == expected


def test_the_image_and_the_stack_start_gunicorn_with_that_configuration() -> None:
    """The Dockerfile's CMD and docker-compose.yml's web command both load gunicorn.conf.py."""
    import json

    import yaml

    dockerfile = (ROOT / "Dockerfile").read_text()
    cmd = json.loads(next(line for line in dockerfile.splitlines() if line.startswith("CMD "))[4:])
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]["command"]
    for command in (cmd, web):
        assert command[0] == "gunicorn" and "--access-logfile" not in command
        assert command[command.index("--config") + 1] == "gunicorn.conf.py"

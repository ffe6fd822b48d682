"""``manage.py run_embedded`` (what ``make run`` serves): web, Celery worker with beat and the Infobip sandbox as
child processes on a fresh SQLite database and filesystem broker, stopped together."""

from __future__ import annotations

import os
import re
import signal
import time
import urllib.error
import urllib.request

import pytest
import requests

from tests.foundation.embedded import Running, clean_env, free_port, live_group_members, manage, port_answers

pytestmark = pytest.mark.worker


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    """A migrated SQLite database in a temporary var/ directory, as `make run` prepares it."""
    # Heartbeats written every second and stale after 6: /readyz's view of the worker is tested in seconds.
    env = clean_env(
        tmp_path_factory.mktemp("var"), WORKER_HEARTBEAT_MAX_AGE_SECONDS="6", WORKER_HEARTBEAT_WRITE_SECONDS="1"
    )
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    manage(env, "seed_demo", "--once")
    return env


@pytest.fixture(scope="module")
def portal(fresh_env):
    """One embedded portal for the module; the last test stops it with SIGTERM."""
    port, sandbox_port = free_port(), free_port()
    running = Running(fresh_env, "--port", str(port), "--sandbox-port", str(sandbox_port))
    running.port, running.sandbox_port, running.env = port, sandbox_port, fresh_env
    try:
        running.wait_for("Outage Portal is running at")
        yield running
    finally:
        running.stop()


def test_banner_prints_the_address_and_the_admin(portal):
    """Once every child is ready the command prints where the portal, admin and sandbox answer."""
    assert f"Outage Portal is running at http://127.0.0.1:{portal.port}/" in portal.output
    assert f"http://127.0.0.1:{portal.port}/admin/" in portal.output
    assert f"Infobip sandbox: http://127.0.0.1:{portal.sandbox_port}/" in portal.output


def test_login_page_answers(portal):
    """The staff login page is served with DEBUG off."""
    assert get(f"http://127.0.0.1:{portal.port}/accounts/login/") == 200


def test_static_files_are_served_with_debug_off(portal):
    """WhiteNoise serves the portal's CSS and the vendored Bootstrap without collectstatic or DEBUG."""
    assert get(f"http://127.0.0.1:{portal.port}/static/css/portal.css") == 200
    assert get(f"http://127.0.0.1:{portal.port}/static/vendor/bootstrap/bootstrap.min.css") == 200


def test_staff_pages_redirect_anonymous_to_login(portal):
    """The portal sends an anonymous visitor of a staff page to the login page (its root shows visitors the public
    status page, docs/public.md)."""
    assert get(f"http://127.0.0.1:{portal.port}/") == 200
    request = urllib.request.Request(f"http://127.0.0.1:{portal.port}/campaigns/")
    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(request, timeout=10)
    assert caught.value.code == 302
    assert caught.value.headers["Location"].startswith("/accounts/login/")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def login(base_url: str, username: str, password: str, next_path: str = "/") -> requests.Response:
    """Log in through the real login form (CSRF cookie and token included) and open next_path."""
    session = requests.Session()
    form = session.get(f"{base_url}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)[1]
    session.post(
        f"{base_url}/accounts/login/",
        timeout=10,
        headers={"Referer": f"{base_url}/accounts/login/"},
        data={"username": username, "password": password, "csrfmiddlewaretoken": token},
    )
    return session.get(f"{base_url}{next_path}", timeout=10, allow_redirects=False)


def test_banner_lists_the_demo_logins_and_they_work(portal):
    """The banner repeats seed_demo's logins; ops reaches the dashboard and admin reaches the Django admin."""
    from campaigns.management.commands.seed_demo import DEMO_LOGINS

    for username, password, _role in DEMO_LOGINS:
        assert re.search(rf"^    {username}\s+{password}\s", portal.output, flags=re.MULTILINE)
    passwords = {username: password for username, password, _role in DEMO_LOGINS}
    base_url = f"http://127.0.0.1:{portal.port}"
    home = login(base_url, "ops", passwords["ops"])
    assert home.status_code == 200
    assert "Dashboard" in home.text
    admin_index = login(base_url, "admin", passwords["admin"], "/admin/")
    assert admin_index.status_code == 200
    assert "Site administration" in admin_index.text


def test_sandbox_answers_on_its_port(portal):
    """The bundled Infobip sandbox listens on --sandbox-port and speaks HTTP."""
    assert port_answers(portal.sandbox_port)
    assert 200 <= get(f"http://127.0.0.1:{portal.sandbox_port}/") < 600


def test_worker_is_a_live_celery_worker_with_beat(portal):
    """The worker child is a running Celery worker that logged itself ready, with embedded beat."""
    pid = portal.child_pids()["worker"]
    os.kill(pid, 0)
    assert "ready." in portal.output
    assert re.search(r"started worker \(pid \d+\): .* worker -B ", portal.output)
    assert "Celery worker:   running, with beat" in portal.output


def test_children_output_is_prefixed_with_their_name(portal):
    """Every child's lines carry its name, so the three logs can be told apart in one terminal."""
    assert any(line.startswith("web     | ") for line in portal.lines)
    assert any(line.startswith("worker  | ") for line in portal.lines)
    assert any(line.startswith("sandbox | ") for line in portal.lines)


SEND_ONE = """
from datetime import timedelta
from django.utils import timezone
from clients.models import Client
from notifications.services.sends import send_create
client = Client.objects.create(
    external_ref="EMBEDDED-1", name="Ada", email="ada@customer.example.com", phone="+33612345678",
    uses_sms_service=True, uses_email_service=True,
)
send = send_create(
    label="embedded smoke", channels=["sms", "email"], audience={"clients": [client.pk]},
    content={"en": {"sms": {"text": "Fibre cut in your area."},
                    "email": {"subject": "Outage", "text": "Fibre cut.", "html": "<p>Fibre cut.</p>"}}},
    valid_until=timezone.now() + timedelta(hours=4),  # as every notice of the outage form has (issue 15)
)
print(send.pk)
"""
STATES = """
from notifications.models import Message
print(sorted(f"{m.channel}:{m.state}" for m in Message.objects.filter(send_id={send_id})))
"""


def test_a_send_travels_to_delivered_through_worker_sandbox_and_report(portal):
    """A send made on the embedded portal's database (SQLite) is dispatched by its worker to its sandbox, whose
    delivery reports reach its web server: both messages end up delivered. It has a validity end, as every notice
    has: SQLite's raw cursor gives it back naive, which once stopped every batch of `make run`."""
    send_id = manage(portal.env, "shell", "-c", SEND_ONE).stdout.strip().splitlines()[-1]
    deadline = time.monotonic() + 120
    states = ""
    while time.monotonic() < deadline:
        states = manage(portal.env, "shell", "-c", STATES.replace("{send_id}", send_id)).stdout.strip().splitlines()[-1]
        if states == "['email:delivered', 'sms:delivered']":
            break
        time.sleep(2)
    assert states == "['email:delivered', 'sms:delivered']", portal.output[-4000:]


def test_readyz_stays_ready_while_the_embedded_worker_runs(portal):
    """The worker make run starts keeps its heartbeat fresh: /readyz answers 200 well past the heartbeat's maximum
    age (6 s here), not only in the first minute (issue 13 item 12)."""
    portal.wait_for("Outage Portal is running at")
    time.sleep(10)
    for _ in range(3):
        response = requests.get(f"http://127.0.0.1:{portal.port}/readyz", timeout=10)
        assert response.status_code == 200, response.text
        assert response.json()["checks"]["worker"]["age_seconds"] < 6
        time.sleep(2)


ROUTINE = ("] received", "succeeded in", "Sending due task", "No hostname was supplied", '"GET /', "SecurityWarning")


def test_output_stays_quiet_so_the_banner_stays_on_screen(portal):
    """No line per task, beat tick, page served or broker connection: minutes of make run print a handful of lines
    after the banner (issue 13 item 12: 3,219 lines in 20 minutes before)."""
    for path in ("/accounts/login/", "/admin/login/", "/favicon.ico", "/static/css/portal.css"):
        requests.get(f"http://127.0.0.1:{portal.port}{path}", timeout=10)
    time.sleep(12)  # two sweeps and reconciles of beat at least
    after = portal.output.split("Press Ctrl-C to stop.", 1)[1].splitlines()
    noisy = [line for line in after if any(marker in line for marker in ROUTINE)]
    assert noisy == [], noisy[:10]
    assert "Not Found" not in portal.output
    before = portal.output.split("Outage Portal is running at", 1)[0]
    assert "No hostname was supplied" not in before and " -------------- " not in before  # no Celery banner


def test_sigterm_stops_every_child(portal):
    """SIGTERM stops the web server, the worker (with its pool and beat) and the sandbox, and exits 0."""
    pids = portal.child_pids()
    assert set(pids) == {"web", "worker", "sandbox"}
    assert portal.stop() == 0
    assert "stopped cleanly" in portal.output
    for name, pid in pids.items():
        assert live_group_members(pid) == [], f"{name} left processes behind"
    assert not port_answers(portal.port)
    assert not port_answers(portal.sandbox_port)


def test_a_dying_child_stops_the_rest_and_exits_non_zero(fresh_env):
    """If the web server dies, run_embedded stops the worker and exits with an error."""
    running = Running(fresh_env, "--port", str(free_port()), "--no-sandbox")
    try:
        running.wait_for("Outage Portal is running at")
        pids = running.child_pids()
        os.kill(pids["web"], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while running.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        code = running.stop()
    assert code != 0
    assert "web exited with status -9" in running.output
    assert live_group_members(pids["worker"]) == []


def test_no_worker_and_no_sandbox_serve_the_web_alone(fresh_env):
    """--no-worker --no-sandbox start only the web server, and say so."""
    port = free_port()
    running = Running(fresh_env, "--port", str(port), "--no-worker", "--no-sandbox")
    try:
        running.wait_for("Outage Portal is running at")
        assert set(running.child_pids()) == {"web"}
        assert "Celery worker:   off (--no-worker)" in running.output
        assert get(f"http://127.0.0.1:{port}/accounts/login/") == 200
    finally:
        assert running.stop() == 0


def test_prepare_migrates_and_seeds_an_empty_database_in_two_lines(tmp_path):
    """make run's one process (run_embedded --prepare) migrates a fresh SQLite database and loads the demo data,
    saying so in two lines instead of the migration list; a second start finds everything in place."""
    env = clean_env(tmp_path)
    port = free_port()
    running = Running(env, "--prepare", "--port", str(port), "--no-worker", "--no-sandbox")
    try:
        running.wait_for("Outage Portal is running at")
        before_banner = running.output.split("Outage Portal is running at", 1)[0]
        assert "database ready (" in before_banner and "Demo data:" in before_banner
        assert "Applying " not in before_banner
        assert "    ops " in running.output.split("Outage Portal is running at", 1)[1]
    finally:
        assert running.stop() == 0
    again = Running(env, "--prepare", "--port", str(port), "--no-worker", "--no-sandbox")
    try:
        again.wait_for("Outage Portal is running at")
        assert "portal  | database ready\n" in again.output + "\n"
    finally:
        assert again.stop() == 0


def test_children_stop_even_when_the_output_pipe_is_gone(fresh_env):
    """`make run | tee log` and Ctrl-C: tee dies with the same signal, and run_embedded's next line hits a closed
    pipe. It still stops every child (before, the BrokenPipeError left the worker and the sandbox running)."""
    import subprocess
    import sys

    from tests.foundation.embedded import BASE_DIR, MANAGE

    port, sandbox_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, MANAGE, "run_embedded", "--port", str(port), "--sandbox-port", str(sandbox_port)],
        env=fresh_env,
        cwd=BASE_DIR,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Outage Portal is running at" in line:
            break
    pids = {m[1]: int(m[2]) for m in (re.search(r"started (\w+) \(pid (\d+)\)", line) for line in lines) if m}
    assert set(pids) == {"web", "worker", "sandbox"}
    process.stdout.close()  # the reader is gone, as tee after Ctrl-C
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    for name, pid in pids.items():
        assert live_group_members(pid) == [], f"{name} outlived run_embedded"

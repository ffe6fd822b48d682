"""The public pages under a crowd: requests per second of the incident page, the status page and the short-link
redirect against the real server (gunicorn with the production command: ``-c gunicorn.conf.py --workers 3``, its
access log on), with the cache warm, just after an update, and with an update published every second.

The load tool is ``wrk`` (Debian's package) when it is installed, else a small Python load generator (threads with
keep-alive connections; it needs more CPU per request than wrk, so its figures are lower bounds). Every run checks
that every response had the expected status, and after the update runs that the page shows the last update.
"""

from __future__ import annotations

import http.client
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

from bench.figures import Figure
from bench.infra import Child, Stack, free_port, wait_for

WRK_THREADS = 2
CONNECTIONS = 32


@dataclass
class Load:
    rps: float
    requests: int
    bad: int
    p99_ms: float | None
    tool: str


def start_server(stack: Stack, env: dict[str, str], *, workers: int = 3) -> tuple[Child, str]:
    """gunicorn as the Dockerfile starts it (sync workers, gunicorn.conf.py: access log to standard output)."""
    import sys

    port = free_port()
    child = stack.start(
        "gunicorn-public",
        [
            sys.executable,
            "-m",
            "gunicorn",
            "outage_portal.wsgi",
            "-c",
            "gunicorn.conf.py",
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
    wait_for(lambda: child.check_alive() and requests.get(f"{url}/healthz", timeout=2).ok, timeout=60, what="gunicorn")
    return child, url


def _wrk(url: str, seconds: float, expect: int) -> Load:
    out = subprocess.run(
        ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{max(int(seconds), 1)}s", "--latency", url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    bad_match = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    bad = int(bad_match.group(1)) if bad_match else 0
    if expect >= 400:  # wrk counts 4xx as "non-2xx/3xx"; the bench only asks for 2xx and 3xx
        bad = total - bad
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        bad += sum(int(value) for value in errors.groups())
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99_ms = None
    if p99:
        value, unit = float(p99.group(1)), p99.group(2)
        p99_ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return Load(rps=rps, requests=total, bad=bad, p99_ms=p99_ms, tool="wrk")


def _python_load(url: str, seconds: float, expect: int) -> Load:
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    counts = {"ok": 0, "bad": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def worker() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        ok = bad = 0
        while time.monotonic() < stop_at:
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                ok, bad = (ok + 1, bad) if response.status == expect else (ok, bad + 1)
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except OSError:
                bad += 1
                connection.close()
        with lock:
            counts["ok"] += ok
            counts["bad"] += bad

    threads = [threading.Thread(target=worker) for _ in range(CONNECTIONS // 2)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    total = counts["ok"] + counts["bad"]
    return Load(rps=total / elapsed, requests=total, bad=counts["bad"], p99_ms=None, tool="python")


def load(url: str, seconds: float, *, expect: int = 200) -> Load:
    """Hammer ``url`` for ``seconds``; ``expect`` is the status every answer must have (302 for a short link)."""
    if shutil.which("wrk"):
        return _wrk(url, seconds, expect)
    return _python_load(url, seconds, expect)


def tool_name() -> str:
    if shutil.which("wrk"):
        return f"wrk ({WRK_THREADS} threads, {CONNECTIONS} connections, keep-alive)"
    return f"Python load generator ({CONNECTIONS // 2} threads with keep-alive; wrk not installed)"


@dataclass
class PublicSite:
    incident_id: int
    incident_url: str
    status_url: str
    link_url: str


def build_site(base_url: str) -> PublicSite:
    """A published incident with a few updates, a short link, and some history, through the portal's services."""
    from django.db import transaction

    from campaigns.models import Campaign, Incident, ShortLink
    from campaigns.services import publishing
    from campaigns.services.short_links import new_code

    incidents = []
    for number in range(6):
        incident = Incident.objects.create(
            title=f"Fibre cut in Lyon north ({number})" if number else "Fibre cut in Lyon north",
            services=["SMS service", "Email service"],
            regions=["Lyon", "Villeurbanne"],
        )
        campaign = Campaign.objects.create(incident=incident, title=incident.title, channels=["sms"], content={})
        with transaction.atomic():
            publishing.campaign_published(campaign)
        for state in ("identified", "monitoring"):
            publishing.incident_update_publish(
                incident=incident,
                state=state,
                texts={"en": f"Engineers replaced the damaged cable section ({state}). " * 3},
                actor=None,
            )
        if number:
            publishing.incident_update_publish(incident=incident, state="resolved", texts={}, actor=None)
        incidents.append((incident, campaign))
    incident, campaign = incidents[0]
    incident.refresh_from_db()
    link = ShortLink.objects.create(code=new_code(), incident=incident, campaign=campaign, channel="sms", language="en")
    return PublicSite(
        incident_id=incident.pk,
        incident_url=f"{base_url}/status/incidents/{incident.public_id}/?lang=en",
        status_url=f"{base_url}/status/?lang=en",
        link_url=f"{base_url}/i/{link.code}",
    )


def publish_update(site: PublicSite, text: str) -> None:
    from campaigns.models import Incident
    from campaigns.services import publishing

    incident = Incident.objects.get(pk=site.incident_id)
    publishing.incident_update_publish(incident=incident, state="monitoring", texts={"en": text}, actor=None)


def _shows(url: str, text: str) -> bool:
    """The page shows ``text`` within a few seconds (each process reads the public version once a second)."""
    deadline = time.monotonic() + 5
    while text not in requests.get(url, timeout=10).text:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def phase_public(ctx, env: dict[str, str]) -> None:  # noqa: ANN001 - bench.phases.Ctx (imported lazily there)
    from bench.phases import RunFailed, timed_runs

    child, url = start_server(ctx.stack, env)
    site = build_site(url)
    seconds = ctx.sizes.public_seconds
    tools: set[str] = set()

    link_requests = [0]

    def measured(target_url: str, *, expect: int = 200) -> float:
        requests.get(target_url, timeout=10, allow_redirects=False)  # warm
        result = load(target_url, seconds, expect=expect)
        tools.add(result.tool)
        if target_url == site.link_url:
            link_requests[0] += result.requests + 1
        if result.bad:
            raise RunFailed(f"{result.bad} of {result.requests} answers were not {expect} or failed")
        return result.rps

    def after_update(index: int) -> float:
        text = f"Update number {index + 1} published just before the load."
        publish_update(site, text)
        result = load(site.incident_url, seconds, expect=200)
        tools.add(result.tool)
        if result.bad or not _shows(site.incident_url, text):
            raise RunFailed(f"{result.bad} bad answers, or the page does not show the update")
        return result.rps

    def updates_every_second(index: int) -> float:
        stop = threading.Event()
        published: list[str] = []

        def publisher() -> None:
            while not stop.wait(1.0):
                text = f"Rolling update {index}-{len(published) + 1}."
                publish_update(site, text)
                published.append(text)

        thread = threading.Thread(target=publisher)
        thread.start()
        try:
            result = load(site.incident_url, seconds, expect=200)
        finally:
            stop.set()
            thread.join()
            from django.db import connection

            connection.close()  # the publisher thread's connection
        tools.add(result.tool)
        if result.bad or (published and not _shows(site.incident_url, published[-1])):
            raise RunFailed(f"{result.bad} bad answers, or the page does not show the last update")
        ctx.notes.setdefault("public_updates", f"{len(published)} updates published during one {seconds:.0f} s run")
        return result.rps

    target = 2_000
    runs = [
        ("public_incident", "public incident page, cache warm (req/s)", lambda _i: measured(site.incident_url)),
        ("public_status", "public status page, cache warm (req/s)", lambda _i: measured(site.status_url)),
        ("public_link", "short link: click counted + redirect (req/s)", lambda _i: measured(site.link_url, expect=302)),
        ("public_after_update", "public incident page, load starting just after an update (req/s)", after_update),
        ("public_rolling", "public incident page, an update published every second (req/s)", updates_every_second),
    ]
    for key, label, run in runs:
        timed_runs(ctx, Figure(key=key, label=label, unit="req/s", target=target), run)
    from campaigns.models import ShortLink
    from campaigns.services.clicks import clicks_flush

    clicks_flush()
    counted = ShortLink.objects.get(code=site.link_url.rsplit("/", 1)[-1]).clicks
    ctx.notes["public_load"] = (
        f"{', '.join(sorted(tools))} against gunicorn `-c gunicorn.conf.py --workers 3` (sync workers, access log on, "
        f"Redis cache), {seconds:.0f} s per run; the short link was opened {link_requests[0]:,} times (wrk's count "
        f"of answers, which leaves out requests still in flight when it stops) and {counted:,} clicks were counted; "
        "load tool: "
        f"{tool_name()}"
    )
    ctx.stack.stop(child)

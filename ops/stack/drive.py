"""Drive the running production stack from outside, like its users, and break it on purpose while it sends.

``ops/stack/run.sh`` starts the stack and calls ``drive.py run``; at the very end it calls ``drive.py report`` to
print the figures with every phase's time. Everything goes through the edge proxy (the stand-in for the TLS proxy)
on 127.0.0.1, with a browser's requests: login forms, the admin's CSV import, the outage form's steps, the
approval. Only the setup (creating the three staff accounts) and the final count read the inside, through
``manage.py`` in the web container, as an operator would.

    STACK_COMPOSE="docker compose -p … -f …" python ops/stack/drive.py run --results r.json --phases p.tsv
    python ops/stack/drive.py report --results r.json --phases p.tsv --total-ms 412000
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import re
import secrets
import shlex
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import requests

FINAL = {"delivered", "undeliverable", "expired", "rejected", "failed", "skipped", "cancelled"}
HOST = "edge"  # the portal's ALLOWED_HOSTS in the stack test; the edge forwards Host as it came


def say(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def now() -> float:
    return time.monotonic()


# The stack -----------------------------------------------------------------------------------------------------


class Stack:
    """``docker compose`` of the running project, and plain ``docker`` for the faults."""

    def __init__(self) -> None:
        self.compose = shlex.split(os.environ["STACK_COMPOSE"])
        self.project = self.compose[self.compose.index("-p") + 1]
        self.network = f"{self.project}_default"

    def run(self, *args: str, input: str | None = None, timeout: float = 180) -> str:
        done = subprocess.run(list(args), input=input, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args[:6])}… exited {done.returncode}: {done.stderr.strip()[-800:]}")
        return done.stdout

    def compose_run(self, *args: str, input: str | None = None, timeout: float = 180) -> str:
        return self.run(*self.compose, *args, input=input, timeout=timeout)

    def url(self, service: str, port: int) -> str:
        address = self.compose_run("port", service, str(port)).strip().splitlines()[0]
        return f"http://{address}"

    def containers(self, service: str) -> list[str]:
        ids = self.compose_run("ps", "-q", service).split()
        names = [self.run("docker", "inspect", "-f", "{{.Name}}", cid).strip().lstrip("/") for cid in ids]
        return sorted(names)

    def manage(self, script: str, timeout: float = 180) -> str:
        """Run Python in the web container's Django shell; returns what it printed."""
        return self.compose_run("exec", "-T", "web", "python", "manage.py", "shell", input=script, timeout=timeout)

    def state(self, container: str) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.run("docker", "inspect", "-f", "{{json .State}}", container))
        return state

    def ip(self, container: str) -> str:
        template = '{{(index .NetworkSettings.Networks "' + self.network + '").IPAddress}}'
        return self.run("docker", "inspect", "-f", template, container).strip()


# A browser, as far as the portal can tell -----------------------------------------------------------------------


class FormParser(HTMLParser):
    """The forms of a page with what a browser would submit by default (checked boxes, selected options…)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._select: tuple[str, bool] | None = None
        self._selected: list[str] = []
        self._first_option: str | None = None
        self._option: dict[str, str | None] | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "form":
            self._form = {"action": a.get("action", ""), "enctype": a.get("enctype", ""), "fields": [], "names": set()}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name", "")
        if tag == "input" and name:
            self._form["names"].add(name)
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form["fields"].append((name, a.get("value", "on" if kind in ("checkbox", "radio") else "")))
        elif tag == "button" and name:
            self._form["names"].add(name)
        elif tag == "select" and name:
            self._form["names"].add(name)
            self._select, self._selected, self._first_option = (name, "multiple" in a), [], None
        elif tag == "option" and self._select:
            self._option = {"value": a.get("value"), "selected": "selected" if "selected" in a else ""}
            self._text = []
        elif tag == "textarea" and name:
            self._form["names"].add(name)
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._option is not None or self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None and self._select:
            value = self._option["value"]
            value = "".join(self._text).strip() if value is None else value
            if self._first_option is None:
                self._first_option = value
            if self._option["selected"] and value is not None:
                self._selected.append(value)
            self._option = None
        elif tag == "select" and self._select and self._form is not None:
            name, multiple = self._select
            chosen = self._selected or ([] if multiple or self._first_option is None else [self._first_option])
            self._form["fields"].extend((name, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form["fields"].append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def form_posting_to(html: str, action_suffix: str) -> list[tuple[str, str]]:
    """The default submission of the page's form whose action ends with ``action_suffix`` (a button's form)."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if form["action"].endswith(action_suffix):
            return list(form["fields"])
    raise AssertionError(f"no form posting to …{action_suffix} on the page")


def form_data(html: str, needs: str, **values: str | list[str]) -> list[tuple[str, str]]:
    """The default submission of the page's form that has a field ``needs``, with ``values`` replacing fields."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if needs in form["names"]:
            unknown = set(values) - form["names"] - {"_next", "_send", "_send_test"}
            if unknown:
                raise AssertionError(f"the form has no field {sorted(unknown)} (fields: {sorted(form['names'])})")
            data = [(name, value) for name, value in form["fields"] if name not in values]
            for name, value in values.items():
                data.extend((name, item) for item in ([value] if isinstance(value, str) else value))
            return data
    raise AssertionError(f"no form with a field {needs!r} on the page")


class Browser:
    """One person's session through the edge proxy.

    The portal sets Secure cookies (production settings): the edge is the TLS end, so this client keeps cookies
    itself and sends them back, as a browser on the https side would.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.http = requests.Session()
        self.http.trust_env = False

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Host": HOST, **kwargs.pop("headers", {})}
        if method == "POST":
            headers.update({"Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"})
        response = self.http.request(
            method,
            self.base + path,
            headers=headers,
            cookies=self.cookies,
            allow_redirects=False,
            timeout=kwargs.pop("timeout", 120),
            **kwargs,
        )
        self.cookies.update({cookie.name: cookie.value or "" for cookie in response.cookies})
        return response

    def get(self, path: str, expect: int = 200) -> requests.Response:
        response = self.request("GET", path)
        if response.status_code != expect:
            raise AssertionError(f"GET {path}: {response.status_code}, expected {expect}")
        return response

    def post(self, path: str, data: Any, files: Any = None, expect: int = 302) -> requests.Response:
        response = self.request("POST", path, data=data, files=files)
        if response.status_code != expect:
            errors = re.findall(
                r'class="[^"]*(?:invalid-feedback|errorlist|alert-danger)[^"]*"[^>]*>(.*?)</', response.text
            )
            raise AssertionError(f"POST {path}: {response.status_code}, expected {expect}; errors: {errors[:5]}")
        return response

    def login(self, path: str, username: str, password: str) -> None:
        page = self.get(path)
        data = form_data(page.text, "password", username=username, password=password)
        answer = self.post(path, data)
        if "sessionid" not in self.cookies:
            raise AssertionError(f"login of {username} set no session cookie")
        session = [c for c in answer.raw.headers.getlist("Set-Cookie") if c.startswith("sessionid=")]
        if not session or "; Secure" not in session[0]:
            raise AssertionError("the session cookie is not marked Secure")


def location_path(response: requests.Response) -> str:
    location = response.headers["Location"]
    return re.sub(r"^https?://[^/]+", "", location)


# The scenario ----------------------------------------------------------------------------------------------------


@dataclass
class Run:
    clients: int
    lease: int
    disconnect: int
    phases: list[tuple[str, float]] = field(default_factory=list)
    checks: list[tuple[str, bool, str]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        self.checks.append((name, bool(ok), detail))
        say(f"  {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")
        return ok

    def dump(self, path: str) -> None:
        with open(path, "w") as out:
            json.dump(
                {
                    "clients": self.clients,
                    "lease": self.lease,
                    "disconnect": self.disconnect,
                    "phases": self.phases,
                    "checks": self.checks,
                    "faults": self.faults,
                    "figures": self.figures,
                },
                out,
                indent=1,
            )


class Phase:
    def __init__(self, run: Run, name: str) -> None:
        self.run, self.name = run, name

    def __enter__(self) -> Phase:
        self.start = now()
        say(f"stack: {self.name}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.run.phases.append((self.name, now() - self.start))


USERS_SCRIPT = """
from django.contrib.auth.models import Group, User
for name, password, groups, admin in {users!r}:
    user = User.objects.create_user(name, password=password, is_staff=admin, is_superuser=admin)
    user.groups.set(Group.objects.filter(name__in=groups))
print("users", User.objects.count())
"""

COUNT_SCRIPT = """
import json
from campaigns.models import CampaignSend
from notifications.models import DeliveryReport, Message, message_id_for
from django.db.models import Count
send_id = CampaignSend.objects.get(campaign_id={campaign}, role="main").send_id
rows = list(Message.objects.filter(send_id=send_id).values_list("pk", "state", "attempts", "channel", "sent_at"))
webhook = dict(DeliveryReport.objects.filter(message__send_id=send_id, source="webhook")
               .values_list("message_id").annotate(n=Count("id")))
sources = dict(DeliveryReport.objects.filter(message__send_id=send_id).values_list("source").annotate(n=Count("id")))
print(json.dumps({{"send": send_id, "sources": sources,
    "messages": [[message_id_for(pk), state, attempts, channel, webhook.get(pk, 0), sent and sent.timestamp()]
                 for pk, state, attempts, channel, sent in rows]}}))
"""


def clients_csv(count: int) -> bytes:
    """``count`` clients on SMS and email, none of the sandbox's failing numbers or addresses (…666, …777)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_ref", "name", "email", "phone", "language", "services", "buckets", "region"])
    number = 0
    for index in range(1, count + 1):
        number += 1
        while f"{number:03d}"[-3:] in ("666", "777"):
            number += 1
        writer.writerow(
            [
                f"STACK-{index:05d}",
                f"Stack Client {index}",
                f"client{index}@stack.example.com",
                f"+336{12000000 + number:08d}",
                "en",
                "sms+email",
                "Stack test",
                ("North", "South", "East", "West")[index % 4],
            ]
        )
    return out.getvalue().encode()


def wait_ready(stack: Stack, edge: Browser, run: Run, deadline: float = 120) -> None:
    """/readyz through the proxy, and every worker answering Celery's ping."""
    limit = now() + deadline
    body: dict[str, Any] = {}
    while now() < limit:
        try:
            response = edge.request("GET", "/readyz", timeout=10)
            body = response.json()
            if response.status_code == 200 and body.get("status") == "ok":
                break
        except (requests.RequestException, ValueError):
            pass
        time.sleep(2)
    run.check(
        "/readyz through the proxy: database, broker and a worker heartbeat ok",
        body.get("status") == "ok",
        json.dumps(body.get("checks", {}))[:200],
    )
    workers = stack.containers("worker")
    pongs, began = 0, now()
    ping = ("exec", "-T", "web", "celery", "-A", "outage_portal", "inspect", "ping", "--timeout", "5")
    while now() < limit:
        try:
            pongs = stack.compose_run(*ping, timeout=60).count("pong")
            if pongs >= len(workers):
                break
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        time.sleep(2)
    run.check(
        f"{len(workers)} workers answer celery inspect ping",
        pongs == len(workers) == 3,
        f"{pongs} pong(s) after {now() - began:.0f} s",
    )


def check_https(stack: Stack, run: Run) -> None:
    """Straight to web without the proxy's header, the portal redirects to https (SECURE_SSL_REDIRECT)."""
    probe = (
        "import http.client; c = http.client.HTTPConnection('127.0.0.1', 8000, timeout=10); "
        "c.request('GET', '/accounts/login/', headers={'Host': 'edge'}); r = c.getresponse(); "
        "print(r.status, r.getheader('Location'), r.getheader('Strict-Transport-Security'))"
    )
    answer = stack.compose_run("exec", "-T", "web", "python", "-c", probe).strip()
    run.check("plain HTTP to web is redirected to https", answer.startswith("301 https://edge/accounts/login/"), answer)


def import_clients(stack: Stack, base: str, run: Run, admin: tuple[str, str]) -> None:
    browser = Browser(base)
    browser.login("/admin/login/?next=/admin/", *admin)
    page = browser.get("/admin/clients/client/import/")
    data = form_data(page.text, "file")
    upload = {"file": ("stack-clients.csv", clients_csv(run.clients), "text/csv")}
    preview = browser.post("/admin/clients/client/import/", data, files=upload, expect=200)
    confirm = form_data(preview.text, "token")
    done = browser.post("/admin/clients/client/import/", confirm)
    summary = re.sub(
        r"\s+", " ", " ".join(re.findall(r'<li class="success">(.*?)</li>', browser.get(location_path(done)).text))
    )
    created = re.search(r"(\d[\d,]*) (?:created|new)", summary)
    number = int(created.group(1).replace(",", "")) if created else -1
    run.check(f"{run.clients:,} clients imported through the admin's CSV import", number == run.clients, summary[:160])


def send_notice(base: str, run: Run, ops: tuple[str, str], approver: tuple[str, str]) -> tuple[int, int]:
    """The outage form, step by step, as ops; then the approval by a second person. Returns (campaign, messages)."""
    browser = Browser(base)
    browser.login("/accounts/login/", *ops)
    start = datetime.now(UTC).replace(second=0, microsecond=0)
    page = browser.get("/campaigns/new/")
    data = form_data(
        page.text,
        "title",
        title="Stack test: fibre outage in the North",
        kind="outage",
        services=["SMS service"],
        started_at=start.strftime("%Y-%m-%dT%H:%M"),
        expected_resolution_at=(start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        severity="major",
        tz="UTC",
        _next="1",
    )
    step = location_path(browser.post("/campaigns/new/", data))
    campaign = int(re.search(r"/campaigns/(\d+)/", step).group(1))  # type: ignore[union-attr]

    def step_post(path: str, needs: str, **values: str | list[str]) -> str:
        page = browser.get(path)
        return location_path(browser.post(path, form_data(page.text, needs, **values)))

    step = step_post(step, "channels", builtin=["all_clients"], channels=["sms", "email"], _next="1")
    step = step_post(
        step,
        "en_sms_text",
        en_sms_text="{{ client_name }}: fibre outage in your area. We are on it; next update by {{ expected_resolution }}.",
        en_email_subject="Fibre outage in your area",
        en_email_text="Hello {{ client_name }},\n\nOur fibre network is down in your area. We are on it.",
        _next="1",
    )
    step = step_post(step, "send_mode", send_mode="now", tz="UTC", _next="1")
    step = location_path(browser.post(step, form_data(browser.get(step).text, "csrfmiddlewaretoken", _next="1")))
    step = location_path(browser.post(step, form_data(browser.get(step).text, "csrfmiddlewaretoken", _next="1")))
    page = browser.get(step)
    expected = dict(form_data(page.text, "expected")).get("expected", "")
    messages = re.search(r"\((\d[\d,]*) messages\)", page.text)
    message_count = int(messages.group(1).replace(",", "")) if messages else -1
    detail = location_path(browser.post(step, form_data(page.text, "expected", confirm="on", _send="1")))
    state = browser.get(f"/campaigns/{campaign}/progress/?format=json&timeline=0").json()["state"]
    run.check(
        f"outage form: {expected} recipients, {message_count:,} messages, waiting for approval (above the threshold)",
        expected == str(run.clients) and message_count == 2 * run.clients and state == "awaiting_approval",
        f"state {state}, landed on {detail}",
    )
    second = Browser(base)
    second.login("/accounts/login/", *approver)
    preview = second.get(f"/campaigns/{campaign}/wizard/preview/")
    approve = f"/campaigns/{campaign}/approve/"
    second.post(approve, form_posting_to(preview.text, approve))
    state = second.get(f"/campaigns/{campaign}/progress/?format=json&timeline=0").json()["state"]
    run.check("a second person approved it and it is sending", state in ("sending", "queued", "completed"), state)
    return campaign, message_count


class Progress:
    """Polls the notice's progress (as ops would watch its page) in a thread; keeps the latest answer."""

    def __init__(self, base: str, ops: tuple[str, str], campaign: int) -> None:
        self.browser = Browser(base)
        self.browser.login("/accounts/login/", *ops)
        self.path = f"/campaigns/{campaign}/progress/?format=json&timeline=0"
        self.latest: dict[str, Any] = {}
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            try:
                response = self.browser.request("GET", self.path, timeout=15)
                if response.status_code == 200:
                    self.latest = response.json()
                else:
                    self.errors += 1
            except (requests.RequestException, ValueError):
                self.errors += 1
            self._stop.wait(2)

    def start(self) -> Progress:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=20)

    def unsent(self) -> int:
        by_state = self.latest.get("by_state") or {}
        return sum(by_state.get(state, 0) for state in ("pending", "sending"))

    def line(self) -> str:
        by_state = self.latest.get("by_state") or {}
        return " ".join(f"{state} {count}" for state, count in sorted(by_state.items()) if count)


def busy_workers(stack: Stack, workers: list[str]) -> list[str]:
    """Worker containers running a dispatch task now (those holding claimed batches), busiest first."""
    try:
        answer = stack.compose_run(
            "exec",
            "-T",
            "web",
            "celery",
            "-A",
            "outage_portal",
            "inspect",
            "active",
            "--json",
            "--timeout",
            "5",
            timeout=60,
        )
        active: dict[str, list[dict[str, Any]]] = json.loads(answer.strip().splitlines()[-1])
    except (RuntimeError, subprocess.TimeoutExpired, ValueError, IndexError):
        return []
    hostnames = {stack.run("docker", "inspect", "-f", "{{.Config.Hostname}}", name).strip(): name for name in workers}
    busy: Counter[str] = Counter()
    for node, tasks in active.items():
        name = hostnames.get(node.partition("@")[2])
        dispatching = sum(1 for task in tasks if task.get("name", "").endswith("dispatch_task"))
        if name and dispatching:
            busy[name] = dispatching
    return [name for name, _n in busy.most_common()]


def faults(stack: Stack, run: Run, progress: Progress, started: float) -> None:
    """One fault after another while the notice sends; each records when it hit and how much was still unsent.

    Each fault takes a worker that is running a dispatch task at that moment (so it holds claimed batches), a
    different one each time while there is a choice: a fault on an idle worker would test nothing.
    """
    workers = stack.containers("worker")
    postgres = stack.containers("postgres")[0]
    used: list[str] = []

    def victim() -> tuple[str, str]:
        limit = now() + 20
        while now() < limit:
            busy = busy_workers(stack, workers)
            fresh = [name for name in busy if name not in used]
            if fresh or busy:
                chosen = (fresh or busy)[0]
                used.append(chosen)
                return chosen, "busy: running a dispatch task"
            time.sleep(1)
        chosen = next((name for name in workers if name not in used), workers[0])
        used.append(chosen)
        return chosen, "no worker was dispatching"

    def record(name: str, begin: float, detail: str, unsent: int) -> None:
        end = now()
        fault = {
            "fault": name,
            "at": round(begin - started, 1),
            "seconds": round(end - begin, 1),
            "unsent": unsent,
            "detail": detail,
        }
        run.faults.append(fault)
        say(
            f"  fault at +{fault['at']:.0f} s for {fault['seconds']:.0f} s, {unsent} unsent then: {name} ({detail}); "
            f"now: {progress.line()}"
        )

    # Let the send get going first: a fault before the first batch would test nothing.
    limit = now() + 60
    while now() < limit and not {"accepted", "delivered"} & set(progress.latest.get("by_state") or {}):
        time.sleep(0.5)

    killed, why = victim()
    begin, unsent = now(), progress.unsent()
    stack.run("docker", "kill", killed)
    time.sleep(5)
    how = "its restart policy restarted it"
    if not stack.state(killed).get("Running"):
        stack.run("docker", "start", killed)
        how = "started again, as a supervisor would"
    record(f"docker kill {killed}", begin, f"{why}; {how}", unsent)

    time.sleep(3)
    begin, unsent = now(), progress.unsent()
    stack.run("docker", "restart", "--time", "10", postgres)
    limit = now() + 60
    while now() < limit and stack.state(postgres).get("Health", {}).get("Status") != "healthy":
        time.sleep(1)
    health = stack.state(postgres).get("Health", {}).get("Status")
    record(f"docker restart {postgres}", begin, f"{health} again", unsent)

    time.sleep(3)
    paused, why = victim()
    begin, unsent = now(), progress.unsent()
    # Three leases: the reconciler (every 10 s) has time to take the expired rows back and another worker to send
    # them before this one wakes up with the batch it still holds. (With 45 s, one run in five missed that window.)
    hold = 3 * run.lease
    stack.run("docker", "pause", paused)
    time.sleep(hold)
    stack.run("docker", "unpause", paused)
    record(f"docker pause {paused}", begin, f"{why}; {hold} s, past its {run.lease} s lease", unsent)

    time.sleep(3)
    cut, why = victim()
    begin, unsent = now(), progress.unsent()
    address = stack.ip(cut)
    stack.run("docker", "network", "disconnect", stack.network, cut)
    time.sleep(run.disconnect)
    stack.run("docker", "network", "connect", "--ip", address, stack.network, cut)
    record(f"docker network disconnect {cut}", begin, f"{why}; {run.disconnect} s, back at {address}", unsent)


def count(stack: Stack, sandbox: str, campaign: int, run: Run, started_wall: float) -> None:
    """Every message of the send, in the portal and at the sandbox: accepted once, twice, never; final or not."""
    portal = json.loads(stack.manage(COUNT_SCRIPT.format(campaign=campaign)).strip().splitlines()[-1])
    stats = requests.get(f"{sandbox}/_sandbox/stats", params={"ids": "1"}, timeout=60).json()
    accepted: dict[str, int] = stats.get("ids") or {}
    messages = portal["messages"]
    eligible = {mid for mid, state, *_ in messages if state != "skipped"}
    states = Counter(state for _mid, state, *_ in messages)
    duplicated = {mid: n for mid, n in accepted.items() if n > 1}
    figures = {
        "eligible": len(eligible),
        "accepted_once": sum(1 for mid in eligible if accepted.get(mid) == 1),
        "duplicates": sum(n - 1 for n in duplicated.values()),
        "duplicated_messages": len(duplicated),
        "lost": sum(1 for mid in eligible if mid not in accepted),
        "unknown_at_sandbox": len(set(accepted) - eligible),
        "stuck": sum(1 for _mid, state, *_ in messages if state not in FINAL),
        "delivered": states.get("delivered", 0),
        "delivered_with_webhook": sum(1 for _m, state, _a, _c, hooks, _t in messages if state == "delivered" and hooks),
        "states": dict(states),
        "report_sources": portal["sources"],
        "attempts": dict(Counter(str(attempts) for _m, _s, attempts, *_ in messages)),
        "sandbox_reports": stats.get("reports", {}),
        "sandbox_accepted": stats.get("messages_accepted"),
        "duplicate_examples": dict(list(duplicated.items())[:5]),
        # When each duplicated message was last claimed, in seconds after the approval: which fault it follows.
        "duplicate_claims": sorted(
            (round(sent - started_wall, 1), mid, attempts, channel)
            for mid, _state, attempts, channel, _hooks, sent in messages
            if mid in duplicated and sent
        )[:20],
    }
    run.figures.update(figures)
    run.check(
        "every eligible message accepted by the provider (lost 0)",
        figures["lost"] == 0 and figures["eligible"] > 0,
        f"{figures['eligible']:,} eligible, {figures['lost']} lost",
    )
    run.check(
        "no message accepted twice (duplicates 0)",
        figures["duplicates"] == 0,
        f"{figures['duplicates']} extra acceptance(s) of {figures['duplicated_messages']} message(s)"
        + (f", e.g. {figures['duplicate_examples']}" if duplicated else ""),
    )
    run.check(
        "nothing the portal did not send reached the provider",
        figures["unknown_at_sandbox"] == 0,
        f"{figures['unknown_at_sandbox']} unknown id(s)",
    )
    run.check("every message in a final state (stuck 0)", figures["stuck"] == 0, json.dumps(figures["states"]))
    run.check(
        "every message delivered, each with a delivery report through the webhook",
        figures["delivered_with_webhook"] == figures["eligible"],
        f"{figures['delivered']:,} delivered, {figures['delivered_with_webhook']:,} with a webhook report; "
        f"report sources {json.dumps(figures['report_sources'])}",
    )


def scenario(args: argparse.Namespace) -> int:
    run = Run(clients=args.clients, lease=args.lease, disconnect=args.disconnect)
    stack = Stack()
    try:
        with Phase(run, "ready: accounts, /readyz, workers, HTTPS redirect"):
            base = stack.url("edge", 8080)
            sandbox = stack.url("sandbox", 8025)
            users = [(name, secrets.token_hex(12)) for name in ("stack-admin", "stack-ops", "stack-approver")]
            stack.manage(
                USERS_SCRIPT.format(
                    users=[
                        (users[0][0], users[0][1], [], True),
                        (users[1][0], users[1][1], ["Ops"], False),
                        (users[2][0], users[2][1], ["Approvers"], False),
                    ]
                )
            )
            wait_ready(stack, Browser(base), run)
            check_https(stack, run)
        with Phase(run, f"import: {run.clients:,} clients through the admin's CSV import"):
            import_clients(stack, base, run, users[0])
        with Phase(run, "notice: the outage form as ops, approval by a second person"):
            campaign, total = send_notice(base, run, users[1], users[2])
            started, started_wall = now(), time.time()
        progress = Progress(base, users[1], campaign).start()
        with Phase(run, "send under faults: kill, PostgreSQL restart, pause, network cut"):
            faults(stack, run, progress, started)
        hits = [fault for fault in run.faults if fault["unsent"] > 0]
        run.check(
            "every fault hit while messages were still unsent",
            len(hits) == len(run.faults) == 4,
            ", ".join(f"{f['unsent']}" for f in run.faults),
        )
        with Phase(run, "drain: until every message is final and every report posted"):
            limit = now() + args.drain_timeout
            while now() < limit:
                latest = progress.latest
                if latest.get("complete") or (
                    latest.get("by_state")
                    and progress.unsent() == 0
                    and not (latest.get("by_state") or {}).get("accepted")
                ):
                    pending = requests.get(f"{sandbox}/_sandbox/stats", timeout=30).json()["reports"]["pending"]
                    if pending == 0:
                        break
                time.sleep(2)
            progress.stop()
            run.figures["send_seconds"] = round(now() - started, 1)
            say(f"  progress: {progress.line()} ({progress.errors} poll error(s) during the faults)")
        with Phase(run, "count: every message at the sandbox and in the portal"):
            count(stack, sandbox, campaign, run, started_wall)
        with Phase(run, "recovered: /readyz, and all three workers answer again"):
            wait_ready(stack, Browser(base), run, deadline=150)
    except Exception as error:  # the figures so far still go to the report
        run.check("the scenario ran to the end", False, f"{type(error).__name__}: {error}")
    finally:
        run.dump(args.results)
    return 0 if all(ok for _name, ok, _detail in run.checks) else 1


# The report --------------------------------------------------------------------------------------------------------


def report(args: argparse.Namespace) -> int:
    with open(args.results) as source:
        results = json.load(source)
    phases: list[tuple[str, float]] = []
    with open(args.phases) as source:
        for line in source:
            name, _, millis = line.rstrip("\n").partition("\t")
            phases.append((name, int(millis) / 1000))
    ordered = [p for p in phases if not p[0].startswith(("teardown", "engine stop"))]
    ordered += [(str(name), float(seconds)) for name, seconds in results["phases"]]
    ordered += [p for p in phases if p[0].startswith(("teardown", "engine stop"))]
    figures = results["figures"]
    say()
    say(f"Stack test figures: {results['clients']:,} clients, SMS and email, lease {results['lease']} s")
    rows = [
        ("eligible messages", figures.get("eligible")),
        ("accepted exactly once", figures.get("accepted_once")),
        ("duplicates (extra acceptances)", figures.get("duplicates")),
        ("lost (never accepted)", figures.get("lost")),
        ("stuck (not final)", figures.get("stuck")),
        ("delivered, with a webhook report", figures.get("delivered_with_webhook")),
        ("send time, approval to all final (s)", figures.get("send_seconds")),
    ]
    for label, value in rows:
        say(f"  {label:<40} {'-' if value is None else format(value, ',') if isinstance(value, int) else value:>10}")
    if figures.get("duplicate_claims"):
        claims = ", ".join(
            f"{mid} ({channel}, attempt {n}) at +{at} s" for at, mid, n, channel in figures["duplicate_claims"]
        )
        say(f"  duplicated messages, last claimed: {claims}")
    if figures.get("states"):
        say(f"  message states: {json.dumps(figures['states'])}; attempts: {json.dumps(figures.get('attempts'))}")
    say("Faults (seconds after the approval)")
    for fault in results["faults"]:
        say(
            f"  +{fault['at']:>5.1f} s  {fault['seconds']:>5.1f} s  {fault['unsent']:>6} unsent  {fault['fault']}: {fault['detail']}"
        )
    say("Phases                                                          seconds")
    for name, seconds in ordered:
        say(f"  {name:<62} {seconds:>7.1f}")
    total = args.total_ms / 1000
    say(f"  {'total':<62} {total:>7.1f}")
    passed = sum(1 for _n, ok, _d in results["checks"] if ok)
    failed = len(results["checks"]) - passed
    for name, ok, detail in results["checks"]:
        if not ok:
            say(f"  FAILED: {name}: {detail}")
    say(f"stack: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    go = commands.add_parser("run")
    go.add_argument("--results", required=True)
    go.add_argument("--phases", required=True)
    go.add_argument("--clients", type=int, default=5000)
    go.add_argument("--lease", type=int, default=20)
    go.add_argument("--disconnect", type=int, default=60)
    go.add_argument("--drain-timeout", type=float, default=240)
    show = commands.add_parser("report")
    show.add_argument("--results", required=True)
    show.add_argument("--phases", required=True)
    show.add_argument("--total-ms", type=int, required=True)
    args = parser.parse_args()
    return scenario(args) if args.command == "run" else report(args)


if __name__ == "__main__":
    sys.exit(main())

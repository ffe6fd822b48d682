"""Raw throughput of the Infobip sandbox: N requests of 500 SMS each, from 1 and from 4 client threads.

    .venv/bin/python bench/sandbox_throughput.py [--requests 40] [--batch 500] [--threads 1 4] [--reports]

Starts ``python -m infobip_sandbox`` as its own process on a free port (or uses ``--url``), pre-encodes the bodies
so the client does as little as possible, and prints messages per second for each thread count. With
``--reports`` every message carries a webhook URL served by a small sink process, so the sandbox also POSTs
delivery reports while it accepts (as in a real campaign).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "bench-key"
SINK = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def body(run: int, index: int, batch: int, report_url: str) -> bytes:
    messages = []
    for n in range(batch):
        message = {
            "sender": "OutageInfo",
            "destinations": [
                {"to": f"336{(index * batch + n) % 100_000_000:08d}", "messageId": f"bench-{run}-{index}-{n}"}
            ],
            "content": {"text": f"Power outage in your area, expected back at 18:00. Ref {index}-{n}"},
        }
        if report_url:
            message["webhooks"] = {"delivery": {"url": report_url}, "contentType": "application/json"}
        messages.append(message)
    return json.dumps({"messages": messages, "options": {"includeSmsCountInResponse": True}}).encode()


def run(url: str, threads: int, requests_count: int, batch: int, run_id: int, report_url: str) -> float:
    bodies = [body(run_id, i, batch, report_url) for i in range(requests_count)]
    session = requests.Session()
    session.mount("http://", HTTPAdapter(pool_maxsize=max(16, threads)))
    headers = {"Authorization": f"App {API_KEY}", "Content-Type": "application/json"}
    errors: list[str] = []
    next_index = iter(range(requests_count))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                index = next(next_index, None)
            if index is None:
                return
            response = session.post(f"{url}/sms/3/messages", data=bodies[index], headers=headers, timeout=30)
            if response.status_code != 200:
                errors.append(str(response.status_code))

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{len(errors)} requests failed: {errors[:5]}")
    return requests_count * batch / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--reports", action="store_true", help="webhook URL on every message, served by a sink")
    parser.add_argument("--url", help="an already running sandbox (its API key must be bench-key)")
    args = parser.parse_args()

    processes = []
    url = args.url
    if not url:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "outage_portal.settings"),
        }
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "infobip_sandbox",
                    "--port",
                    str(port),
                    "--api-key",
                    API_KEY,
                    "--report-delay",
                    "0.2",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
            )
        )
    report_url = ""
    if args.reports:
        sink_port = free_port()
        processes.append(subprocess.Popen([sys.executable, "-c", SINK, str(sink_port)]))
        report_url = f"http://127.0.0.1:{sink_port}/reports"
    try:
        wait_until_up(f"{url}/_sandbox/stats")
        run(url, 1, 2, args.batch, 0, report_url)  # warm-up
        for run_id, threads in enumerate(args.threads, start=1):
            requests.post(f"{url}/_sandbox/reset", timeout=10)
            rate = run(url, threads, args.requests, args.batch, run_id, report_url)
            started = time.perf_counter()
            stats = requests.get(f"{url}/_sandbox/stats", timeout=10).json()
            line = (
                f"{threads} client thread(s): {args.requests} requests x {args.batch} SMS = "
                f"{stats['messages_accepted']} accepted, {rate:,.0f} msg/s"
            )
            if args.reports:
                while stats["reports"]["pending"]:
                    time.sleep(0.05)
                    stats = requests.get(f"{url}/_sandbox/stats", timeout=10).json()
                line += (
                    f"; all {stats['reports']['posted']} reports posted in {stats['reports']['posts']} POSTs,"
                    f" {time.perf_counter() - started:.2f} s after the last send"
                )
            print(line)
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()

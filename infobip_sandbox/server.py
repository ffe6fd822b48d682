"""HTTP plumbing for the sandbox: a threaded stdlib server with keep-alive, one write per answer, JSON only."""

from __future__ import annotations

import json
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from infobip_sandbox.answer import Answer
from infobip_sandbox.app import Sandbox
from infobip_sandbox.config import SandboxConfig

MAX_BODY = 64 * 1024 * 1024
# What a person sees who opens the sandbox's address in a browser (the banner of `make run` prints it).
ROOT_PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Infobip sandbox</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;line-height:1.5">
<h1>Infobip sandbox</h1>
<p>A stand-in for Infobip's API on this machine: the portal's worker sends SMS and email here, and the sandbox answers
and posts delivery reports back as Infobip would. Nothing leaves the machine.</p>
<ul><li><code>POST /sms/3/messages</code>, <code>POST /email/4/messages</code></li>
<li><code>GET /sms/3/reports</code>, <code>GET /sms/3/logs</code> (and the <code>/email/4/</code> ones)</li></ul>
<p>Numbers ending in 666 and addresses starting with <code>bounce</code> are undeliverable, 777 and
<code>reject</code> are rejected (docs/sandbox.md).</p></body></html>"""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _HTTPServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.path in ("/", "/index.html"):
            self._write_page(ROOT_PAGE)
            return
        self._handle("GET")

    def _write_page(self, page: bytes) -> None:
        head = "HTTP/1.1 200 OK\r\nServer: infobip-sandbox\r\nContent-Type: text/html; charset=utf-8\r\n"
        self.wfile.write(f"{head}Content-Length: {len(page)}\r\n\r\n".encode("latin-1") + page)

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._handle("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._write(
                Answer(
                    413,
                    {
                        "errorCode": "E413",
                        "description": "Request too large.",
                        "action": "",
                        "violations": [],
                        "resources": [],
                    },
                )
            )
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}  # push reads VAPID, TTL, Topic
        answer = self.server.sandbox.handle(method, path, query, headers, body)
        if answer.hang:
            time.sleep(answer.hang)
            self.close_connection = True
            return
        if answer.held is not None:
            answer.held.wait()  # the hold hook: until a test releases it
        try:
            self._write(answer)
        except OSError:  # the client went away (killed while its answer was held, or timed out)
            self.close_connection = True

    def _write(self, answer: Answer) -> None:
        payload = b"" if answer.payload is None else json.dumps(answer.payload, separators=(",", ":")).encode()
        lines = [
            f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}",
            "Server: infobip-sandbox",
            "Content-Type: application/json",
            f"Content-Length: {len(payload)}",
        ]
        lines += [f"{name}: {value}" for name, value in answer.headers.items()]
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload)
        if self.server.verbose:
            self.log_message('"%s" %s %d', self.requestline, answer.status, len(payload))

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib signature)
        if self.server.verbose:
            super().log_message(format, *args)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], sandbox: Sandbox, verbose: bool) -> None:
        self.sandbox = sandbox
        self.verbose = verbose
        super().__init__(address, _Handler)


class SandboxServer:
    """The sandbox on ``host:port`` (port 0 picks a free one); ``start()`` serves from a thread, for tests and
    benchmarks, ``serve_forever()`` blocks, for the management command."""

    def __init__(
        self, config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 8025, verbose: bool = False
    ) -> None:
        self.sandbox = Sandbox(config or SandboxConfig())
        self.httpd = _HTTPServer((host, port), self.sandbox, verbose)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{name}:{port}"

    def start(self) -> SandboxServer:
        self.sandbox.start()
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="infobip-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.sandbox.start()
        try:
            self.httpd.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread = None
        self.httpd.server_close()
        self.sandbox.stop()

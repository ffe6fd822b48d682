"""The stack test's stand-in for the TLS-terminating reverse proxy in front of ``web`` (docs/production.md).

It does what nginx or a load balancer does for the portal, minus TLS itself: forwards every request to the
upstream, sets ``X-Forwarded-Proto: https`` and appends the client's address to ``X-Forwarded-For``. With it the
portal runs its real production settings (HTTPS redirect, secure cookies, HSTS, ``TRUSTED_PROXY_COUNT=1``) and both
the test driver and the Infobip sandbox's delivery reports reach it the way they would in production.

    python ops/stack/edge.py --listen 0.0.0.0:8080 --upstream web:8000
"""

from __future__ import annotations

import argparse
import http.client
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}
MAX_BODY = 64 * 1024 * 1024
UPSTREAM_TIMEOUT = 120.0


def handler_for(upstream_host: str, upstream_port: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length < 0 or length > MAX_BODY:
                self.send_error(413)
                return
            body = self.rfile.read(length) if length else b""
            headers = {name: value for name, value in self.headers.items() if name.lower() not in HOP_BY_HOP}
            prior = headers.pop("X-Forwarded-For", "")
            headers["X-Forwarded-For"] = f"{prior}, {self.client_address[0]}" if prior else self.client_address[0]
            headers["X-Forwarded-Proto"] = "https"
            headers["Content-Length"] = str(len(body))
            connection = http.client.HTTPConnection(upstream_host, upstream_port, timeout=UPSTREAM_TIMEOUT)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                payload = answer.read()
            except OSError as error:
                self.send_error(502, f"upstream: {type(error).__name__}")
                return
            finally:
                connection.close()
            self.send_response_only(answer.status, answer.reason)  # the upstream's own Server and Date
            for name, value in answer.getheaders():
                if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _forward

        def log_message(self, format: str, *args: object) -> None:  # the portal logs every request already
            return

    return Handler


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="0.0.0.0:8080", help="host:port to serve")
    parser.add_argument("--upstream", default="web:8000", help="host:port of the portal")
    args = parser.parse_args(argv)
    listen_host, _, listen_port = args.listen.rpartition(":")
    upstream_host, _, upstream_port = args.upstream.rpartition(":")
    server = ThreadingHTTPServer((listen_host, int(listen_port)), handler_for(upstream_host, int(upstream_port)))
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, _stop)
    sys.stdout.write(f"edge: {args.listen} -> {args.upstream} (X-Forwarded-Proto: https)\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Fixtures for the provider tests: a provider on the sandbox, a canned-answer HTTP server, message builders."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from notifications.providers.base import OutboundMessage, SendOptions
from notifications.providers.infobip import InfobipProvider


def sms(
    n: int, *, prefix: str = "op-sms", destination: str = "+3361234{n:04d}", text: str = "Outage in {n}", **extra
) -> list[OutboundMessage]:
    return [
        OutboundMessage(
            message_id=f"{prefix}-{i}",
            channel="sms",
            destination=destination.format(n=i),
            text=text.format(n=i),
            **extra,
        )
        for i in range(n)
    ]


def emails(n: int, *, prefix: str = "op-mail", local: str = "client{n}", **extra) -> list[OutboundMessage]:
    return [
        OutboundMessage(
            message_id=f"{prefix}-{i}",
            channel="email",
            destination=f"{local.format(n=i)}@example.com",
            subject=f"Outage notice {i}",
            text=f"Dear client {i}",
            html=f"<p>Dear client {i}</p>",
            headers={
                "List-Unsubscribe": f"<https://portal.example.com/u/{i}/>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            **extra,
        )
        for i in range(n)
    ]


OPTIONS = SendOptions(report_url="https://portal.example.com/webhooks/infobip/reports/tok/", reference="camp-7")


@pytest.fixture
def provider(sandbox_settings, settings):
    """An Infobip provider reading the settings that point at the sandbox, with short test timeouts."""
    settings.INFOBIP_TIMEOUT_CONNECT = 2.0
    settings.INFOBIP_TIMEOUT_READ = 1.0
    instance = InfobipProvider()
    yield instance
    instance.close()


@dataclass
class Canned:
    """What the canned server answers next: a status, headers and a raw body, or ``drop`` the connection."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"{}"
    drop: bool = False
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)


class CannedServer:
    def __init__(self) -> None:
        self.canned = Canned()
        canned_ref = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                canned = canned_ref.canned
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                canned.requests.append((self.command, self.path, body))
                if canned.drop:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                    self.close_connection = True
                    self.connection.close()
                    return
                self.send_response(canned.status)
                for name, value in canned.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                self.wfile.write(canned.body)

            do_GET = do_POST = _answer  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(
        self, status: int = 200, body: bytes | str = b"{}", headers: dict | None = None, drop: bool = False
    ) -> Canned:
        self.canned = Canned(
            status=status, headers=headers or {}, body=body.encode() if isinstance(body, str) else body, drop=drop
        )
        return self.canned


@pytest.fixture
def canned_server():
    """A local HTTP server answering whatever the test set, for cases the sandbox does not produce."""
    server = CannedServer()
    yield server
    server.server.shutdown()
    server.server.server_close()


@pytest.fixture
def canned_provider(canned_server, settings):
    """A provider talking to the canned server."""
    settings.INFOBIP_BASE_URL = canned_server.url
    settings.INFOBIP_API_KEY = "canned-key"
    settings.INFOBIP_TIMEOUT_CONNECT = 1.0
    settings.INFOBIP_TIMEOUT_READ = 2.0
    instance = InfobipProvider()
    yield instance
    instance.close()

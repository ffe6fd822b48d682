"""The sandbox's own control endpoints (``/_sandbox/…``, no API key): statistics, reset, configuration, the hold
hook, and a customer's reply (``inbound.py``). Tests and benchmarks drive the sandbox through them; Infobip has nothing like them."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Protocol
from urllib.parse import parse_qs

from infobip_sandbox.answer import Answer, error
from infobip_sandbox.config import SandboxConfig
from infobip_sandbox.hold import HoldGate
from infobip_sandbox.inbound import customer_reply
from infobip_sandbox.store import Store


class Sandbox(Protocol):
    """What the control endpoints use of ``app.Sandbox``, so this module does not import the app that routes to it."""

    config: SandboxConfig
    store: Store
    hold: HoldGate

    def reset(self) -> None: ...

    def configure(self, changes: dict[str, Any]) -> SandboxConfig: ...


USAGE = "GET stats, received or hold; POST reset, config, hold, release or inbound."


def public_config(sandbox: Sandbox) -> dict[str, Any]:
    config = asdict(sandbox.config)
    config.pop("api_key")
    return config


def _json_object(body: bytes) -> dict[str, Any]:
    changes = json.loads(body or b"{}")
    if not isinstance(changes, dict):
        raise ValueError("expected a JSON object")
    return changes


def _limit(params: dict[str, list[str]]) -> int:
    try:
        return max(0, min(int(params.get("limit", ["100"])[0]), 2000))
    except ValueError:
        return 100


def handle(sandbox: Sandbox, method: str, path: str, query: str, body: bytes) -> Answer:
    params = parse_qs(query)
    route = (method, path)
    if route == ("GET", "/_sandbox/stats"):
        stats = sandbox.store.stats(with_ids=params.get("ids", ["0"])[0] in ("1", "true"))
        stats["config"] = public_config(sandbox)
        stats["hold"] = sandbox.hold.status()
        return Answer(200, stats)
    if route == ("GET", "/_sandbox/received"):
        return Answer(200, {"messages": sandbox.store.received(_limit(params))})
    if route == ("POST", "/_sandbox/reset"):
        sandbox.reset()
        return Answer(200, {"reset": True, "config": public_config(sandbox)})
    if route == ("GET", "/_sandbox/hold"):
        return Answer(200, sandbox.hold.status())
    if route == ("POST", "/_sandbox/release"):
        released = sandbox.hold.release_all()  # answers released by this call (the status counts all, ever)
        return Answer(200, {**sandbox.hold.status(), "released": released})
    try:
        if route == ("POST", "/_sandbox/config"):
            sandbox.configure(_json_object(body))
            return Answer(200, {"config": public_config(sandbox)})
        if route == ("POST", "/_sandbox/inbound"):
            return customer_reply(sandbox.store, _json_object(body))
        if route == ("POST", "/_sandbox/hold"):
            count = _json_object(body).get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int):
                raise ValueError("count must be an integer")
            sandbox.hold.arm(count)
            return Answer(200, sandbox.hold.status())
    except ValueError as err:
        return error(400, "E400", str(err), "Send a JSON object of known settings.")
    return error(404, "E404", "Resource not found.", USAGE)

"""What an endpoint answers: a status, a JSON payload and headers, or a stall; and Infobip's error answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from infobip_sandbox import protocol
from infobip_sandbox.hold import Held


@dataclass
class Answer:
    status: int
    payload: dict[str, Any] | list[Any] | None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to stall, then drop the connection without answering
    fault: str = ""
    held: Held | None = None  # written only once the test releases it (``/_sandbox/hold``)


def error(
    status: int,
    code: str,
    description: str,
    action: str = "",
    violations: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """Infobip's ``ApiError`` answer."""
    return Answer(status, protocol.api_error(code, description, action, violations), dict(headers or {}))

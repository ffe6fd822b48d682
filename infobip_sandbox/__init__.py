"""A local stand-in for Infobip's SMS and email APIs, for laptops, tests and benchmarks (docs/sandbox.md).

It needs no Django: ``SandboxServer(SandboxConfig(...), port=0).start()`` serves from a thread.
"""

from infobip_sandbox.config import SandboxConfig
from infobip_sandbox.server import SandboxServer

__all__ = ["SandboxConfig", "SandboxServer"]

"""gunicorn's logger with URL secrets removed from its access and error lines (``gunicorn.conf.py`` names it).

The access line holds the request line, the Referer and any header a format asks for; the error log names the
request URI when a request fails. Both go through ``outage_portal.redaction.UrlSecretFilter``.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from outage_portal.redaction import UrlSecretFilter


class RedactingLogger(Logger):  # gunicorn ships no type information: Logger is Any to mypy
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for logger in (self.access_log, self.error_log):
            if not any(isinstance(existing, UrlSecretFilter) for existing in logger.filters):
                logger.addFilter(UrlSecretFilter())

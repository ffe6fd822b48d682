"""Whether a browser's push endpoint may be stored and POSTed to: the server makes that request, so it is an SSRF path.

Why here and at send time both: registration refuses a bad endpoint with a 400; the provider asks again before each
request, so a row stored under looser settings (or a host whose DNS moved to a private address) is never requested.
Production: https only, a host in ``WEBPUSH_ALLOWED_HOSTS`` when that is set, and never a private, loopback,
link-local or reserved address (literal or resolved). Tests and the sandbox run on 127.0.0.1 with
``WEBPUSH_ALLOW_PRIVATE`` (on outside production).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from clients.push_models import ENDPOINT_MAX


class EndpointError(ValueError):
    """The endpoint is refused; the message says why (never echoing the endpoint itself)."""


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast)


def _host_allowed(host: str) -> bool:
    allowed = [name.lower().lstrip(".") for name in settings.WEBPUSH_ALLOWED_HOSTS]
    return not allowed or any(host == name or host.endswith("." + name) for name in allowed)


def endpoint_check(endpoint: str, *, resolve: bool = True) -> str:
    """The endpoint, if the portal may send to it; ``EndpointError`` otherwise."""
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        raise EndpointError("endpoint missing or too long")
    parts = urlsplit(endpoint)
    allow_private = bool(settings.WEBPUSH_ALLOW_PRIVATE)
    if parts.scheme != "https" and not (allow_private and parts.scheme == "http"):
        raise EndpointError("endpoint must be https")
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise EndpointError("endpoint has no host, or carries credentials")
    if not _host_allowed(host):
        raise EndpointError("endpoint host is not an allowed push service")
    if allow_private:
        return endpoint
    try:
        literal = not _public(host)
    except ValueError:
        literal = False  # a name, not an address
    if literal:
        raise EndpointError("endpoint points at a private address")
    if resolve:
        try:
            infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
        except (OSError, UnicodeError) as err:
            raise EndpointError("endpoint host does not resolve") from err
        if not all(_public(str(info[4][0])) for info in infos):
            raise EndpointError("endpoint host resolves to a private address")
    return endpoint

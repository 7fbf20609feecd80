"""Callbacks: a finished submission's record POSTed as JSON to the URL its caller gave.

The address rule (SSRF): a callback may go only to a public address. A URL whose host resolves to
a loopback, private, link-local (the cloud's metadata service, 169.254.169.254, among them),
multicast, reserved or unspecified address is refused, at submission (400) and again at delivery
(DNS may have changed meanwhile); redirects are not followed (they could lead anywhere). The
local stage allows private addresses (CALLBACK_ALLOW_PRIVATE), so that tests can listen on
loopback. Deliveries run in their own function, fed by their own queue: the worker that runs
user code never opens a connection out.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from chalicelib.constants import MAX_CALLBACK_URL_BYTES
from chalicelib.errors import BadRequest, InfrastructureError

Resolver = Callable[[str, int], list[str]]


class CallbackFailed(InfrastructureError):
    """The destination did not take the record (an error status, a timeout, no connection):
    worth another try, as an outage of ours is."""


class CallbackRefused(BadRequest):
    """The URL may not receive callbacks: a bad URL, or an address that is not public."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to."""
    return sorted({info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)})


def check_url(url: Any) -> tuple[str, int]:
    """The host and port of an http(s) URL.

    Raises:
        CallbackRefused: not a string, too long, not http(s), or without a host.
    """
    if not isinstance(url, str) or not url:
        raise CallbackRefused("'callback_url' must be an http(s) URL, as a string")
    if len(url.encode("utf-8", "replace")) > MAX_CALLBACK_URL_BYTES:
        raise CallbackRefused(f"'callback_url' is longer than {MAX_CALLBACK_URL_BYTES} bytes")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise CallbackRefused(f"'callback_url' is not a valid URL: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused(f"'callback_url' must be an http or https URL with a host, not {url!r}")
    return parts.hostname, port


def check_destination(url: str, allow_private: bool, resolver: Resolver = resolve) -> None:
    """Raise ``CallbackRefused`` unless ``url`` may receive callbacks (see the module's rule)."""
    host, port = check_url(url)
    if allow_private:
        return
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as exc:
        raise CallbackRefused(f"'callback_url' host {host!r} does not resolve: {exc}") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise CallbackRefused(
                f"'callback_url' host {host!r} resolves to {address}, which is not a public "
                "address (loopback, private, link-local and metadata addresses are refused)")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is then an error: the record is not sent on elsewhere


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, record: Any, timeout_s: float) -> int:
    """POST ``record`` as JSON to ``url``; its status.

    Raises:
        CallbackFailed: no 2xx answer within ``timeout_s``.
    """
    request = urllib.request.Request(
        url, data=json.dumps(record).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "evaluator-callback/1"})
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        raise CallbackFailed(f"{url} answered {exc.code}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise CallbackFailed(f"{url} could not be reached: {exc}") from exc

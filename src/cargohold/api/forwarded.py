"""Who the client is and which URL it used, behind a reverse proxy: the forwarded headers
(``X-Forwarded-For``, ``-Proto``, ``-Host``, ``-Port``, or RFC 7239 ``Forwarded``) count
only when the TCP peer is one of the trusted proxies' networks (``trusted_proxies``).

The middleware rewrites the ASGI scope before anything else reads it: ``client`` (the audit
log, the login throttle, the access log), ``scheme``, ``server`` and the ``Host`` header
(the token realm, ``Location`` headers, download URLs). The client is found as nginx's
realip module, werkzeug's ProxyFix and uvicorn do: walking ``X-Forwarded-For`` from the
right, past every address that is itself a trusted proxy; the scheme and host are those of
the hop the client reached. A configured ``public_url`` wins over both for scheme and host.

A proxy sets one family of headers: when any ``X-Forwarded-*`` header is present,
``Forwarded`` is not read (a client could have sent it through a proxy that only sets the
others). A header that does not parse is ignored, as if absent: the request is served as it
came, never refused for it.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from cargohold.api.access_log import note_client
from cargohold.core.networks import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$"
)
_SCHEMES = ("http", "https")
_MAX_HOPS = 32  # a chain longer than this is not read (nobody runs 32 proxies)
_X_FORWARDED = (b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"x-forwarded-port")


@dataclass(frozen=True, slots=True)
class Hop:
    """What one proxy saw: who connected to it (None: not said or not an address), with
    which scheme and for which host."""

    client: Address | None
    scheme: str | None = None
    host: str | None = None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the client is and the scheme and host it used; None where the request's own
    stand."""

    client: str | None = None
    scheme: str | None = None
    host: str | None = None


class ForwardedHeaders:
    """Wraps the root app: rewrites the scope of a request that came through a trusted proxy
    (and the scheme and host of every request when ``public_url`` is set)."""

    def __init__(
        self, app: ASGIApp, trusted: Sequence[Network] = (), public_url: str | None = None
    ) -> None:
        self._app = app
        self._trusted = tuple(trusted)
        self._public = _public_origin(public_url)

    @property
    def active(self) -> bool:
        return bool(self._trusted) or self._public is not None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope = self.rewritten(scope)
        await self._app(scope, receive, send)

    def rewritten(self, scope: Scope) -> Scope:
        """The scope as the client sent the request (a copy; ``scope`` is left as it is)."""
        origin = Origin()
        peer = scope.get("client")
        if self._trusted and peer and self.trusts(_address(str(peer[0]))):
            origin = self.origin(scope.get("headers", []))
        if self._public is not None:
            origin = Origin(origin.client, self._public.scheme, self._public.host)
        if origin == Origin():
            return scope
        changed = dict(scope)
        if origin.client is not None:
            changed["client"] = (origin.client, 0)
            note_client(scope, origin.client)  # for the server's access log
        scheme = origin.scheme or str(scope.get("scheme", "http"))
        changed["scheme"] = scheme
        if origin.host is not None:
            changed["headers"] = [
                (name, value) for name, value in scope.get("headers", []) if name != b"host"
            ] + [(b"host", origin.host.encode("ascii"))]
            changed["server"] = _server(origin.host, scheme)
        return changed

    def trusts(self, address: Address | None) -> bool:
        return address is not None and any(address in network for network in self._trusted)

    def origin(self, headers: Sequence[tuple[bytes, bytes]]) -> Origin:
        """Who sent the request and how, from the forwarded headers of a trusted peer."""
        if any(name in _X_FORWARDED for name, _ in headers):
            hops = _x_forwarded(headers)
        else:
            hops = _forwarded(headers)
        if not hops:
            return Origin()
        # From the right: the nearest hop first; each trusted one is passed over.
        index = len(hops) - 1
        while index > 0 and self.trusts(hops[index].client):
            index -= 1
        hop = hops[index]
        client = None if hop.client is None else str(hop.client)
        return Origin(client, hop.scheme, hop.host)


def _x_forwarded(headers: Sequence[tuple[bytes, bytes]]) -> list[Hop]:
    """The hops of ``X-Forwarded-For``, each with the ``-Proto`` and ``-Host`` its proxy
    appended (lists aligned from the right; one value stands for every hop)."""
    addresses = _list(headers, b"x-forwarded-for")
    protos = _list(headers, b"x-forwarded-proto")
    hosts = _list(headers, b"x-forwarded-host")
    ports = _list(headers, b"x-forwarded-port")
    if addresses is None or protos is None or hosts is None or ports is None:
        return []
    schemes = [proto.lower() for proto in protos]
    count = max(len(addresses), 1)
    if count > _MAX_HOPS:
        return []
    hops = []
    for position in range(count):
        client = _address(addresses[position]) if addresses else None
        if addresses and client is None:
            return []  # one hop that is not an address: nothing in the chain is sure
        scheme = _aligned(schemes, position, count)
        host = _aligned(hosts, position, count)
        port = _aligned(ports, position, count)
        if scheme is not None and scheme not in _SCHEMES:
            return []
        if host is not None and port is not None and ":" not in host.rpartition("]")[2]:
            host = f"{host}:{port}" if port.isdigit() else host
        if host is not None and not _HOST.match(host):
            return []
        hops.append(Hop(client, scheme, host))
    return hops


def _forwarded(headers: Sequence[tuple[bytes, bytes]]) -> list[Hop]:
    """The hops of RFC 7239 ``Forwarded`` (``for=...;proto=...;host=...``, comma-separated)."""
    elements = _list(headers, b"forwarded")
    if not elements or len(elements) > _MAX_HOPS:
        return []
    hops = []
    for element in elements:
        pairs: dict[str, str] = {}
        for pair in element.split(";"):
            name, sep, value = pair.strip().partition("=")
            if not sep or not name:
                return []
            pairs[name.strip().lower()] = value.strip().strip('"')
        client = None
        if "for" in pairs:
            client = _address(pairs["for"])
            if client is None:
                return []  # "unknown" or an obfuscated name: the chain cannot be followed
        scheme = pairs.get("proto", "").lower() or None
        host = pairs.get("host") or None
        if (scheme is not None and scheme not in _SCHEMES) or (
            host is not None and not _HOST.match(host)
        ):
            return []
        hops.append(Hop(client, scheme, host))
    return hops


def _list(headers: Sequence[tuple[bytes, bytes]], wanted: bytes) -> list[str] | None:
    """The comma-separated values of every ``wanted`` header, in order; None when they are
    not ASCII text."""
    values: list[str] = []
    for name, value in headers:
        if name != wanted:
            continue
        try:
            text = value.decode("ascii")
        except UnicodeDecodeError:
            return None
        values.extend(item.strip() for item in text.split(",") if item.strip())
    return values


def _aligned(values: list[str], position: int, count: int) -> str | None:
    """The value for hop ``position`` of ``count`` from a list aligned from the right."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    index = len(values) - (count - position)
    return values[max(index, 0)]


def _address(text: str) -> Address | None:
    """An IP address written plain, with a port (``192.0.2.1:4711``) or in brackets
    (``[2001:db8::1]:4711``)."""
    text = text.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _server(host: str, scheme: str) -> tuple[str, int]:
    name, _, port = host.rpartition(":") if not host.endswith("]") else (host, "", "")
    if not name or not port.isdigit():
        return host.strip("[]"), 443 if scheme == "https" else 80
    return name.strip("[]"), int(port)


def _public_origin(public_url: str | None) -> Origin | None:
    if not public_url:
        return None
    parts = urlsplit(public_url)
    if parts.scheme not in _SCHEMES or not parts.netloc:
        return None
    return Origin(None, parts.scheme, parts.netloc)


__all__ = ["ForwardedHeaders", "Hop", "Origin"]

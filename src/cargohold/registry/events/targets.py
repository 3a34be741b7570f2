"""Where webhooks may send: public addresses, and the networks an operator lists besides.

A webhook makes the server POST to a host an admin chose, so without a limit it could be
aimed at what only the server can reach: its own loopback services, the private network, the
cloud metadata address 169.254.169.254. By default webhooks reach public addresses only, not
loopback, link-local, unspecified, private (10/8, 172.16/12, 192.168/16, fc00::/7),
multicast or reserved ones, nor IPv4-mapped IPv6 forms of them. The setting
``webhook_allowed_networks`` lists networks they may reach besides (e.g. 10.20.0.0/16 for a
CI server on the local network).

The policy is checked when a webhook's URL is set, and again at every delivery against the
addresses its host resolves to then; the delivery connects to an address it checked, so a
name whose answer changes in between cannot lead it elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

import anyio
from anyio import to_thread

from cargohold.core.errors import WebhookTargetRefused
from cargohold.core.networks import Network

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

SETTING = "webhook_allowed_networks (CARGOHOLD_WEBHOOK_ALLOWED_NETWORKS)"
RESOLVE_SECONDS = 10.0


def not_public(address: Address) -> str | None:
    """What keeps ``address`` from being public ("loopback", "private", ...); None if it is."""
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv6Address) and address.is_site_local:
        return "site-local"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "non-public"
    return None


def reached_as(address: Address) -> tuple[Address, ...]:
    """Where a connection to ``address`` goes: an IPv4-mapped IPv6 address is its IPv4
    address; a 6to4 one is both itself and the IPv4 address inside it."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return (address.ipv4_mapped,)
        if address.sixtofour is not None:
            return (address, address.sixtofour)
    return (address,)


class WebhookTargets:
    """The addresses webhooks may reach: public ones, and those in ``allowed_networks``."""

    def __init__(self, allowed_networks: Iterable[Network] = ()) -> None:
        self.allowed_networks = tuple(allowed_networks)

    def refusal(self, address: Address) -> str | None:
        """Why webhooks may not reach ``address`` ("a loopback address"); None if they may."""
        views = reached_as(address)
        if any(a in n for a in (address, *views) for n in self.allowed_networks):
            return None
        for view in views:
            kind = not_public(view)
            if kind is not None:
                return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} address"
        return None

    async def resolve(self, host: str) -> tuple[Address, ...]:
        """The addresses of ``host`` (an address, or a name resolved now), each one webhooks
        may reach; else WebhookTargetRefused naming the first they may not, or saying that
        the name does not resolve."""
        literal = _literal(host)
        addresses = (literal,) if literal is not None else await _lookup(host)
        for address in addresses:
            why = self.refusal(address)
            if why is None:
                continue
            said = (
                f"{host} is {why}"
                if literal is not None
                else f"{host} resolves to {address}, {why}"
            )
            raise WebhookTargetRefused(
                f"{said}; webhooks may reach only public addresses and the networks listed "
                f"in the setting {SETTING}"
            )
        return addresses


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


async def _lookup(host: str) -> tuple[Address, ...]:
    try:
        with anyio.fail_after(RESOLVE_SECONDS):
            found = await to_thread.run_sync(_getaddrinfo, host, abandon_on_cancel=True)
    except TimeoutError as exc:
        raise WebhookTargetRefused(f"{host} did not resolve within {RESOLVE_SECONDS:g} s") from exc
    except (OSError, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise WebhookTargetRefused(
            f"{host} does not resolve ({reason}); a webhook needs a host name that resolves, "
            "or an address"
        ) from exc
    if not found:
        raise WebhookTargetRefused(f"{host} resolves to no IP address")
    return found


def _getaddrinfo(host: str) -> tuple[Address, ...]:
    """The addresses of ``host`` in the order the system prefers, each once."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    found: dict[Address, None] = {}
    for family, _, _, _, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and isinstance(sockaddr[0], str):
            found[ipaddress.ip_address(sockaddr[0])] = None
    return tuple(found)


__all__ = ["SETTING", "Address", "Network", "WebhookTargets", "not_public", "reached_as"]

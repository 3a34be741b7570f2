"""Behind a reverse proxy: the forwarded headers of a trusted proxy decide the client's
address (audit log, throttle) and the scheme and host of every URL cargohold writes (the
token realm, the URL of a deployed file); those of any other peer are ignored."""

from __future__ import annotations

import ipaddress
import re

import httpx
import pytest

from cargohold.app import build_app
from cargohold.core.networks import Network
from cargohold.registry.registry import Registry
from tests.integration.conftest import AUTH
from tests.integration.generic import create_generic

pytestmark = pytest.mark.anyio

PROXY = ("10.1.2.3", 40000)
PROXIES = (ipaddress.ip_network("10.1.2.0/24"),)
_REALM = re.compile(r'realm="([^"]*)"')


def http(
    registry: Registry,
    peer: tuple[str, int] = PROXY,
    trusted: tuple[Network, ...] = PROXIES,
    public_url: str | None = None,
) -> httpx.AsyncClient:
    app = build_app(registry, public_url, trusted_proxies=trusted)
    transport = httpx.ASGITransport(app=app, client=peer)
    return httpx.AsyncClient(transport=transport, base_url="http://cargohold:5000")


async def realm(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    response = await client.get("/v2/", headers=headers)
    assert response.status_code == 401
    match = _REALM.search(response.headers["WWW-Authenticate"])
    assert match, response.headers["WWW-Authenticate"]
    return match.group(1)


async def last_client(client: httpx.AsyncClient) -> str:
    """The address the audit log gave the newest record."""
    response = await client.get("/api/v1/audit", params={"limit": 1}, headers=AUTH)
    assert response.status_code == 200, response.text
    return str(response.json()["items"][0]["client"])


TLS_PROXY = {
    "X-Forwarded-For": "203.0.113.9",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "registry.example.com",
}


async def test_a_trusted_proxy_sets_the_realm_scheme_host_and_client(registry: Registry) -> None:
    async with http(registry) as client:
        assert await realm(client, TLS_PROXY) == "https://registry.example.com/v2/token"
        await create_generic(client, "files")
        deployed = await client.put(
            "/generic/files/a/b.txt", content=b"x", headers={**AUTH, **TLS_PROXY}
        )
        assert deployed.status_code == 201, deployed.text
        assert deployed.headers["Location"] == "https://registry.example.com/generic/files/a/b.txt"
        assert await last_client(client) == "203.0.113.9"


async def test_an_untrusted_peer_forwarded_headers_are_ignored(registry: Registry) -> None:
    """Without trusted proxies (the default), or from a peer outside them, the realm is the
    URL the request reached: behind a TLS proxy that is the `http://` that breaks login."""
    for trusted, peer in [((), PROXY), (PROXIES, ("192.0.2.50", 5555))]:
        async with http(registry, peer, trusted) as client:
            assert await realm(client, TLS_PROXY) == "http://cargohold:5000/v2/token"
            await create_generic(client, f"files-{peer[0].replace('.', '-')}")
            assert await last_client(client) == peer[0]


async def test_the_client_is_the_first_untrusted_hop_from_the_right(registry: Registry) -> None:
    """A client cannot pass itself off as another by sending its own X-Forwarded-For: the
    proxies append to it, and only their hops are passed over."""
    async with http(registry) as client:
        chain = {"X-Forwarded-For": "198.51.100.66, 203.0.113.7, 10.1.2.200"}
        await create_generic(client, "files", anonymous_read=False)
        response = await client.patch(
            "/api/v1/repositories/files",
            json={"description": "x"},
            headers={**AUTH, **chain},
        )
        assert response.status_code == 200
        assert await last_client(client) == "203.0.113.7"


async def test_rfc_7239_forwarded(registry: Registry) -> None:
    async with http(registry) as client:
        forwarded = {
            "Forwarded": 'for="[2001:db8::7]:4711";proto=https;host="hub.example.org:8443", '
            "for=10.1.2.9;proto=http;host=inner"
        }
        assert await realm(client, forwarded) == "https://hub.example.org:8443/v2/token"
        await create_generic(client, "files")
        await client.patch(
            "/api/v1/repositories/files", json={"description": "y"}, headers={**AUTH, **forwarded}
        )
        assert await last_client(client) == "2001:db8::7"


MALFORMED = [
    {"X-Forwarded-For": "not-an-address", "X-Forwarded-Proto": "https"},
    {"X-Forwarded-Proto": "gopher"},
    {"X-Forwarded-Host": "evil.example/path"},
    {"X-Forwarded-Host": "h\u00e9.example"},
    {"Forwarded": "for=unknown;proto=https"},
    {"Forwarded": "garbage"},
    {"X-Forwarded-For": ", ".join(["203.0.113.9"] * 40), "X-Forwarded-Proto": "https"},
]


async def test_malformed_forwarded_headers_are_ignored(registry: Registry) -> None:
    async with http(registry) as client:
        for headers in MALFORMED:
            raw = [(k.encode(), v.encode()) for k, v in headers.items()]
            response = await client.get("/v2/", headers=raw)
            assert response.status_code == 401, headers
            match = _REALM.search(response.headers["WWW-Authenticate"])
            assert match
            assert match.group(1) == "http://cargohold:5000/v2/token", headers


async def test_public_url_wins(registry: Registry) -> None:
    async with http(registry, public_url="https://cargo.example.net") as client:
        assert await realm(client, TLS_PROXY) == "https://cargo.example.net/v2/token"
        await create_generic(client, "files")
        deployed = await client.put("/generic/files/f.txt", content=b"x", headers=AUTH)
        assert deployed.headers["Location"] == "https://cargo.example.net/generic/files/f.txt"

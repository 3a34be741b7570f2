"""trusted_proxies (CARGOHOLD_TRUSTED_PROXIES): CIDRs, none by default, a bad one refused
with the setting's name; the client a trusted proxy names is the access log's."""

from __future__ import annotations

import ipaddress
import logging
import time

import pytest
from starlette.types import Receive, Scope, Send

from cargohold.api.forwarded import ForwardedHeaders
from cargohold.server import access
from cargohold.settings import SettingsError, load_settings


def test_trusted_proxies_setting() -> None:
    assert load_settings(environ={}).trusted_proxies == ()
    value = "127.0.0.1/32, 10.0.0.0/8,fd00::/8"
    assert load_settings(environ={"CARGOHOLD_TRUSTED_PROXIES": value}).trusted_proxies == (
        ipaddress.ip_network("127.0.0.1/32"),
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
    )
    with pytest.raises(SettingsError, match=r"trusted_proxies: 'nginx' is not a network"):
        load_settings(environ={"CARGOHOLD_TRUSTED_PROXIES": "nginx"})


def test_the_access_log_names_the_client_a_trusted_proxy_forwarded(
    caplog: pytest.LogCaptureFixture,
) -> None:
    slot: dict[str, str] = {}  # what the HTTP server puts in each request's scope
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "raw_path": b"/v2/",
        "query_string": b"",
        "client": ("10.0.0.5", 40000),
        "headers": [(b"x-forwarded-for", b"203.0.113.7")],
        access.SLOT: slot,
    }
    ForwardedHeaders(_app, [ipaddress.ip_network("10.0.0.0/8")]).rewritten(scope)
    caplog.set_level(logging.INFO, logger="cargohold.access")
    access.write(scope, 200, 0, time.perf_counter(), "id")
    assert caplog.messages[-1].startswith('203.0.113.7 - "GET /v2/" 200 0')


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    """Nothing: the proxy's rewrite is what is tested."""

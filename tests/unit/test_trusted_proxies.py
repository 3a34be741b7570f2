"""trusted_proxies (CARGOHOLD_TRUSTED_PROXIES): CIDRs, none by default, a bad one refused
with the setting's name."""

from __future__ import annotations

import ipaddress

import pytest

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

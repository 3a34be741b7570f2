"""The addresses webhooks may reach: public ones, and those in the networks the operator lists
in webhook_allowed_networks (CARGOHOLD_WEBHOOK_ALLOWED_NETWORKS), read and checked like every
setting."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from cargohold.registry.events.targets import WebhookTargets
from cargohold.settings import SettingsError, load_settings

PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "2002:808:808::1"]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert WebhookTargets().refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.255.0.9", "a loopback address"),
        ("::1", "a loopback address"),
        ("169.254.169.254", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("0.0.0.0", "an unspecified address"),
        ("::", "an unspecified address"),
        ("10.1.2.3", "a private address"),
        ("172.16.0.1", "a private address"),
        ("172.31.255.254", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fc00::1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("240.0.0.1", "a reserved address"),
        ("255.255.255.255", "a reserved address"),
        ("100.64.0.1", "a non-public address"),
        ("fec0::1", "a site-local address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:169.254.169.254", "a link-local address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("2002:7f00:1::", "a loopback address"),  # 6to4 around 127.0.0.1
        ("::7f00:1", "a reserved address"),
    ],
)
def test_addresses_that_are_not_public_are_refused_saying_what_they_are(
    address: str, why: str
) -> None:
    assert WebhookTargets().refusal(ipaddress.ip_address(address)) == why


def test_a_listed_network_is_allowed_in_its_ipv4_and_mapped_forms_and_nothing_else() -> None:
    targets = WebhookTargets(
        [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("10.20.0.0/16")]
    )
    for allowed in ("127.0.0.1", "::ffff:127.0.0.1", "10.20.3.4", "8.8.8.8"):
        assert targets.refusal(ipaddress.ip_address(allowed)) is None, allowed
    for still_refused in ("::1", "10.21.0.1", "169.254.169.254", "192.168.0.1"):
        assert targets.refusal(ipaddress.ip_address(still_refused)) is not None, still_refused


def test_the_setting_is_read_from_the_environment_and_the_config_file(tmp_path: Path) -> None:
    assert load_settings(environ={}).webhook_allowed_networks == ()
    variable = "CARGOHOLD_WEBHOOK_ALLOWED_NETWORKS"
    assert load_settings(environ={variable: ""}).webhook_allowed_networks == ()
    from_env = load_settings(environ={variable: " 127.0.0.0/8, fd00:1::/64 ,10.0.0.7"})
    assert from_env.webhook_allowed_networks == (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("fd00:1::/64"),
        ipaddress.ip_network("10.0.0.7/32"),
    )
    config = tmp_path / "cargohold.toml"
    config.write_text('webhook-allowed-networks = ["192.168.0.0/16"]\n')
    from_file = load_settings(config, environ={})
    assert from_file.webhook_allowed_networks == (ipaddress.ip_network("192.168.0.0/16"),)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("127.0.0.0/8,localhost", "'localhost' is not a network"),
        ("10.0.0.1/8", "'10.0.0.1/8' is not a network in CIDR notation"),  # host bits set
        ("10.0.0.0/33", "'10.0.0.0/33'"),
    ],
)
def test_a_bad_network_is_refused_naming_it(value: str, words: str) -> None:
    with pytest.raises(SettingsError, match="webhook_allowed_networks") as raised:
        load_settings(environ={"CARGOHOLD_WEBHOOK_ALLOWED_NETWORKS": value})
    assert words in str(raised.value)

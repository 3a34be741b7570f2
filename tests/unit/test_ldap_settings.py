"""The LDAP settings: from the environment and the config file, the group map in both forms,
and the mistakes an operator makes, refused at start with what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from cargohold.settings import SettingsError, load_settings

DEVS = "cn=devs,ou=groups,dc=example,dc=org"
OPS = "cn=ops,ou=groups,dc=example,dc=org"
BASE = {
    "CARGOHOLD_LDAP_URL": "ldap://ldap.example.org",
    "CARGOHOLD_LDAP_USER_BASE": "ou=people,dc=example,dc=org",
}


def test_no_directory_unless_a_url_is_given() -> None:
    assert load_settings(environ={}).ldap is None


def test_directory_settings_from_the_environment() -> None:
    settings = load_settings(
        environ={
            **BASE,
            "CARGOHOLD_LDAP_BIND_DN": "cn=reader,dc=example,dc=org",
            "CARGOHOLD_LDAP_BIND_PASSWORD": " secret with spaces ",
            "CARGOHOLD_LDAP_GROUP_BASE": "ou=groups,dc=example,dc=org",
            # DNs are compared without case and spaces around separators
            "CARGOHOLD_LDAP_GROUP_MAP": f"{DEVS}=developers; CN=Ops, OU=Groups,dc=example,dc=org"
            "=operators;",
            "CARGOHOLD_LDAP_STARTTLS": "true",
            "CARGOHOLD_LDAP_TIMEOUT": "3",
        }
    )
    ldap = settings.ldap
    assert ldap is not None
    assert ldap.bind_password == " secret with spaces "
    assert ldap.group_map == ((DEVS, "developers"), (OPS, "operators"))
    assert (ldap.starttls, ldap.timeout, ldap.user_filter) == (True, 3, "(uid={username})")
    assert ldap.groups_for(frozenset({OPS})) == {"operators"}
    assert "secret" not in repr(settings) and "secret" not in repr(ldap)


def test_the_group_map_as_a_table_in_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "cargohold.toml"
    config.write_text(
        'ldap_url = "ldaps://ldap.example.org"\n'
        'ldap_user_base = "ou=people,dc=example,dc=org"\n'
        'ldap_group_base = "ou=groups,dc=example,dc=org"\n'
        "[ldap_group_map]\n"
        f'"{DEVS}" = "developers"\n'
        f'"{OPS}" = "developers"\n'
    )
    ldap = load_settings(config, environ={}).ldap
    assert ldap is not None
    assert ldap.mapped_groups == {"developers"}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CARGOHOLD_LDAP_URL", "ldap.example.org", "ldap:// or ldaps://"),
        ("CARGOHOLD_LDAP_USER_BASE", "", "ldap_user_base is required"),
        ("CARGOHOLD_LDAP_USER_FILTER", "(uid=admin)", "must contain {username}"),
        ("CARGOHOLD_LDAP_GROUP_MAP", f"{DEVS}=developers", "needs ldap_group_base"),
        ("CARGOHOLD_LDAP_GROUP_MAP", "developers", "is not DN=GROUP"),
        ("CARGOHOLD_LDAP_GROUP_MAP", f"{DEVS}=no spaces", "not a cargohold group name"),
        ("CARGOHOLD_LDAP_GROUP_MAP", "devs,ou=groups=developers", "not a distinguished name"),
        ("CARGOHOLD_LDAP_BIND_DN", "cn=reader,dc=example,dc=org", "go together"),
        ("CARGOHOLD_LDAP_STARTTLS", "maybe", "true or false"),
        ("CARGOHOLD_LDAP_CA_FILE", "/nonexistent/ca.pem", "not a readable file"),
        ("CARGOHOLD_LDAP_TIMEOUT", "0", "between 1 and 60"),
        ("CARGOHOLD_LDAP_CACHE_SECONDS", "-1", "between 0 and 86400"),
    ],
)
def test_bad_directory_settings_are_refused(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("{", r"\{").replace("}", r"\}")):
        load_settings(environ={**BASE, variable: value})


def test_starttls_is_for_ldap_urls() -> None:
    with pytest.raises(SettingsError, match="ldaps:// is TLS from the start"):
        load_settings(
            environ={
                **BASE,
                "CARGOHOLD_LDAP_URL": "ldaps://ldap.example.org",
                "CARGOHOLD_LDAP_STARTTLS": "yes",
            }
        )

"""`docker login` with a directory account, against the real server and a real OpenLDAP: the
token flow (Basic, then a refresh token docker keeps) for a user cargohold has never seen,
a wrong password refused, and no password in the server's log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_ldap import GROUP_MAP
from tests.servers import CargoholdServer, Dockerd
from tests.slapd import GROUPS, PEOPLE, READER_DN, READER_PASSWORD, USERS, SlapdServer

pytestmark = pytest.mark.e2e

ADA = PEOPLE[0]


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, slapd: SlapdServer
) -> Iterator[CargoholdServer]:
    env = {
        "CARGOHOLD_LDAP_URL": slapd.starttls_url,
        "CARGOHOLD_LDAP_STARTTLS": "true",
        "CARGOHOLD_LDAP_CA_FILE": str(slapd.ca_file),
        "CARGOHOLD_LDAP_BIND_DN": READER_DN,
        "CARGOHOLD_LDAP_BIND_PASSWORD": READER_PASSWORD,
        "CARGOHOLD_LDAP_USER_BASE": USERS,
        "CARGOHOLD_LDAP_GROUP_BASE": GROUPS,
        "CARGOHOLD_LDAP_GROUP_MAP": GROUP_MAP,
    }
    data = tmp_path_factory.mktemp("cargohold-ldap") / "data"
    running = CargoholdServer(data, workers=1, env=env).start()
    yield running
    running.stop()


def test_docker_login_with_a_directory_account(
    dockerd: Dockerd, server: CargoholdServer, tmp_path: Path
) -> None:
    config = tmp_path / "docker"
    login = dockerd.docker(
        "login",
        "--username",
        ADA.uid,
        "--password-stdin",
        server.host,
        stdin=ADA.password,
        config=config,
    )
    assert "Login Succeeded" in login.stdout
    refused = dockerd.docker(
        "login",
        "--username",
        ADA.uid,
        "--password-stdin",
        server.host,
        stdin="not-the-password",
        config=config,
        check=False,
    )
    assert refused.returncode != 0
    account = server.admin.call("GET", "/users/ada", 200)
    assert account["directory"] is True
    assert account["groups"] == ["developers"]
    log = server.log()
    assert READER_PASSWORD not in log and ADA.password not in log

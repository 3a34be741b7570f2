"""Debian repositories driven by the real apt: packages uploaded the way Artifactory takes
them (``PUT`` into the pool with ``;deb.distribution=…;deb.component=…``), indexes signed
with the repository's key, read by ``apt-get update`` and downloaded by ``apt-get
download``, with credentials from an ``auth.conf.d`` file as a CI machine has them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.apt_client import Apt
from tests.deb_packages import Deb, build_deb
from tests.e2e.cli import Cli
from tests.servers import CargoholdServer, wait_for

USER, PASSWORD = "ci", "ci-secret-1"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CargoholdServer]:
    running = CargoholdServer(tmp_path_factory.mktemp("cargohold") / "data").start()
    running.admin.call("POST", "/repositories", 201, {"key": "debs", "format": "deb"})
    running.admin.create_user(USER, PASSWORD)
    running.admin.grant(f"user:{USER}", ["debs"], ["read", "write"])
    yield running
    running.stop()


@pytest.fixture
def apt(server: CargoholdServer, tmp_path: Path) -> Apt:
    client = Apt(tmp_path / "apt")
    client.login(server.url, USER, PASSWORD)
    return client


def upload(
    server: CargoholdServer, key: str, deb: Deb, parameters: str, *, expect: int = 201
) -> httpx.Response:
    path = f"pool/main/{deb.package[0]}/{deb.package}/{deb.filename}"
    response = httpx.put(
        f"{server.url}/deb/{key}/{path};{parameters}",
        content=deb.data,
        auth=(USER, PASSWORD),
        timeout=60,
    )
    assert response.status_code == expect, response.text
    return response


def public_key(server: CargoholdServer, key: str) -> bytes:
    response = httpx.get(f"{server.url}/deb/{key}/key.asc", auth=(USER, PASSWORD), timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pgp-keys"
    return response.content


def test_apt_installs_from_a_signed_repository_and_sees_each_new_upload(
    server: CargoholdServer, apt: Apt, tmp_path: Path
) -> None:
    first = build_deb(tmp_path, "tinyhello", "1.0-1")
    created = upload(server, "debs", first, "deb.distribution=bookworm;deb.component=main")
    assert created.json()["package"] == "tinyhello"
    assert created.json()["checksums"]["sha256"]
    apt.source(f"{server.url}/deb/debs/", "bookworm", "main", public_key(server, "debs"))

    updated = apt.update()
    assert "bookworm InRelease" in updated.stdout
    assert "Candidate: 1.0-1" in apt.policy("tinyhello")
    apt.run("download", "tinyhello")
    assert apt.downloaded(first.filename) == first.data

    # A new version, then another package in another component: the next update sees them.
    second = build_deb(tmp_path, "tinyhello", "1.1-1")
    upload(server, "debs", second, "deb.distribution=bookworm;deb.component=main")
    other = build_deb(tmp_path, "tinyextra", "0.1", "all")
    upload(
        server,
        "debs",
        other,
        "deb.distribution=bookworm;deb.component=main,contrib;deb.architecture=all",
    )
    apt.update()
    assert "Candidate: 1.1-1" in apt.policy("tinyhello")
    assert "Candidate: 0.1" in apt.policy("tinyextra")
    apt.run("download", "tinyhello=1.0-1", "tinyextra")
    assert apt.downloaded(other.filename) == other.data


def test_indexes_are_served_by_hash_and_revalidated_by_apt(
    server: CargoholdServer, apt: Apt, tmp_path: Path
) -> None:
    deb = build_deb(tmp_path, "byhash", "2.0-1")
    upload(server, "debs", deb, "deb.distribution=trixie;deb.component=main")
    auth = (USER, PASSWORD)
    release = httpx.get(f"{server.url}/deb/debs/dists/trixie/Release", auth=auth, timeout=30)
    assert "Acquire-By-Hash: yes" in release.text
    sha256 = release.text.split("SHA256:\n", 1)[1]
    line = next(x for x in sha256.splitlines() if x.endswith("main/binary-amd64/Packages.xz"))
    digest = line.split()[0]
    by_hash = f"{server.url}/deb/debs/dists/trixie/main/binary-amd64/by-hash/SHA256/{digest}"
    fetched = httpx.get(by_hash, auth=auth, timeout=30)
    assert fetched.status_code == 200
    assert "immutable" in fetched.headers["cache-control"]
    again = httpx.get(
        f"{server.url}/deb/debs/dists/trixie/InRelease",
        auth=auth,
        headers={"If-Modified-Since": release.headers["last-modified"]},
        timeout=30,
    )
    assert again.status_code == 304

    # The previous indexes stay readable by their hash once new ones replace them.
    upload(
        server,
        "debs",
        build_deb(tmp_path, "byhash", "2.1-1"),
        "deb.distribution=trixie;deb.component=main",
    )
    assert httpx.get(by_hash, auth=auth, timeout=30).status_code == 200


def test_apt_refuses_indexes_signed_by_another_key(
    server: CargoholdServer, apt: Apt, tmp_path: Path
) -> None:
    server.admin.call("POST", "/repositories", 201, {"key": "other-debs", "format": "deb"})
    server.admin.grant(f"user:{USER}", ["other-debs"], ["read", "write"])
    keyed = build_deb(tmp_path, "keyed", "1.0")
    for key in ("other-debs", "debs"):
        upload(server, key, keyed, "deb.distribution=bookworm;deb.component=main")
    # The key of another repository: apt says the signature cannot be checked.
    apt.source(f"{server.url}/deb/debs/", "bookworm", "main", public_key(server, "other-debs"))
    refused = apt.update(check=False)
    assert refused.returncode != 0
    assert "NO_PUBKEY" in refused.stdout + refused.stderr


def test_an_upload_that_contradicts_its_package_stores_nothing(
    server: CargoholdServer, tmp_path: Path
) -> None:
    deb = build_deb(tmp_path, "liar", "1.0")
    wrong = upload(
        server,
        "debs",
        deb,
        "deb.distribution=bookworm;deb.component=main;deb.architecture=arm64",
        expect=400,
    )
    assert "architecture 'amd64'" in wrong.text
    missing = upload(server, "debs", deb, "deb.component=main", expect=400)
    assert "deb.distribution" in missing.text
    not_a_deb = httpx.put(
        f"{server.url}/deb/debs/pool/main/l/liar/liar.deb;deb.distribution=bookworm;deb.component=main",
        content=b"not an ar archive",
        auth=(USER, PASSWORD),
        timeout=30,
    )
    assert not_a_deb.status_code == 400
    assert "not a Debian package" in not_a_deb.text
    gone = httpx.get(
        f"{server.url}/deb/debs/pool/main/l/liar/{deb.filename}", auth=(USER, PASSWORD), timeout=30
    )
    assert gone.status_code == 404
    # Other bytes at a path that holds a package: refused; the same bytes again: fine.
    upload(server, "debs", deb, "deb.distribution=bookworm;deb.component=main")
    upload(server, "debs", deb, "deb.distribution=bookworm;deb.component=main")
    (tmp_path / "again").mkdir()
    rebuilt = build_deb(tmp_path / "again", "liar", "1.0", extra="Homepage: https://x.invalid\n")
    conflict = upload(
        server, "debs", rebuilt, "deb.distribution=bookworm;deb.component=main", expect=409
    )
    assert "exists" in conflict.text


ADVISORY = {
    "id": "DEBIAN-CARGOHOLD-0001",
    "modified": "2026-01-01T00:00:00Z",
    "summary": "a flaw in tinyvuln",
    "database_specific": {"severity": "HIGH"},
    "affected": [
        {
            "package": {"ecosystem": "Debian:12", "name": "tinyvuln"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0-1"}]}],
        }
    ],
}


def test_a_package_blocked_by_a_policy_shows_why_in_apts_output(
    server: CargoholdServer, apt: Apt, tmp_path: Path
) -> None:
    admin = server.admin
    admin.call("POST", "/repositories", 201, {"key": "gated-debs", "format": "deb"})
    admin.grant(f"user:{USER}", ["gated-debs"], ["read", "write"])
    imported = httpx.post(
        f"{server.url}/api/v1/vulndb/import",
        content=json.dumps([ADVISORY]),
        headers={"Content-Type": "application/json"},
        auth=admin.auth,
        timeout=30,
    )
    assert imported.status_code == 200, imported.text
    deb = build_deb(tmp_path, "tinyvuln", "1.0-1")
    upload(server, "gated-debs", deb, "deb.distribution=bookworm;deb.component=main")
    body = {
        "name": "no-high-deb",
        "rules": {"minSeverity": "HIGH"},
        "actions": {"blockDownload": True},
    }
    admin.call("POST", "/policies", 201, body)
    admin.call(
        "POST",
        "/watches",
        201,
        {"name": "deb-gate", "repositories": ["gated-debs"], "policies": ["no-high-deb"]},
    )
    url = f"{server.url}/deb/gated-debs/pool/main/t/tinyvuln/{deb.filename}"
    wait_for(
        lambda: httpx.get(url, auth=(USER, PASSWORD), timeout=30).status_code == 403,
        "the scan of tinyvuln did not block it",
        timeout=60,
    )
    apt.source(
        f"{server.url}/deb/gated-debs/", "bookworm", "main", public_key(server, "gated-debs")
    )
    apt.update()
    refused = apt.run("download", "tinyvuln", check=False)
    assert refused.returncode != 0
    said = refused.stdout + refused.stderr
    assert "403  Blocked by policy" in said or 'blocked by policy "no-high-deb"' in said, said
    assert "DEBIAN-CARGOHOLD-0001" in said


def test_a_promoted_version_is_listed_in_the_target_and_a_deleted_one_leaves_the_indexes(
    server: CargoholdServer, apt: Apt, tmp_path: Path
) -> None:
    admin = server.admin
    for key in ("stage-debs", "prod-debs"):
        admin.call("POST", "/repositories", 201, {"key": key, "format": "deb"})
        admin.grant(f"user:{USER}", [key], ["read", "write"])
    promoted = build_deb(tmp_path, "tinypromo", "3.0-1")
    upload(server, "stage-debs", promoted, "deb.distribution=bookworm;deb.component=main")
    admin.call(
        "POST",
        "/packages/stage-debs/promote",
        200,
        {"targetRepo": "prod-debs", "name": "tinypromo", "version": "3.0-1"},
    )
    apt.source(f"{server.url}/deb/prod-debs/", "bookworm", "main", public_key(server, "prod-debs"))
    apt.update()
    assert "Candidate: 3.0-1" in apt.policy("tinypromo")
    apt.run("download", "tinypromo")
    assert apt.downloaded(promoted.filename) == promoted.data

    # Deleted from the stage: the stage's indexes no longer list it; the promoted copy stays.
    admin.call("DELETE", "/packages/stage-debs/tinypromo/3.0-1", 200)
    apt.source(
        f"{server.url}/deb/stage-debs/", "bookworm", "main", public_key(server, "stage-debs")
    )
    apt.update()
    assert "Candidate" not in apt.policy("tinypromo")
    packages = httpx.get(
        f"{server.url}/deb/stage-debs/dists/bookworm/main/binary-amd64/Packages",
        auth=(USER, PASSWORD),
        timeout=30,
    )
    assert packages.status_code == 200
    assert packages.content == b""


def test_the_cli_uploads_and_a_key_rotation_keeps_both_keys_valid_through_its_grace(
    server: CargoholdServer, apt: Apt, tmp_path: Path
) -> None:
    cli = Cli.fresh(server, tmp_path)
    server.admin.call("POST", "/repositories", 201, {"key": "rotating", "format": "deb"})
    server.admin.grant(f"user:{USER}", ["rotating"], ["read"])
    deb = build_deb(tmp_path, "tinyrotate", "1.0-1")
    said = cli.ok("deb", "upload", "rotating", str(deb.path), "-d", "bookworm", "-c", "main")
    assert "uploaded tinyrotate 1.0-1 (amd64" in said
    assert "rotating/pool/main/t/tinyrotate/tinyrotate_1.0-1_amd64.deb" in said
    assert "listed in bookworm/main" in said
    old_key = public_key(server, "rotating")
    (first,) = cli.json("deb", "keys", "rotating")["keys"]
    assert first["retireAt"] is None

    rotated = cli.json("deb", "rotate-key", "rotating", "--grace-days", "1")["keys"]
    assert [k["fingerprint"] for k in rotated][1] == first["fingerprint"]
    assert rotated[1]["retireAt"] is not None and rotated[0]["retireAt"] is None
    both = public_key(server, "rotating")
    new_key = rotated[0]["publicKey"].encode()
    assert old_key in both and new_key in both
    # Through the grace period, a machine that trusts only the old key and one that already
    # trusts only the new one both verify the indexes.
    for trusted in (old_key, new_key):
        apt.source(f"{server.url}/deb/rotating/", "bookworm", "main", trusted)
        apt.update()
        assert "Candidate: 1.0-1" in apt.policy("tinyrotate")

    # A rotation without grace: the key before it no longer signs.
    newest = cli.json("deb", "rotate-key", "rotating", "--grace-days", "0")["keys"]
    assert len(newest) == 1
    apt.source(f"{server.url}/deb/rotating/", "bookworm", "main", new_key)
    refused = apt.update(check=False)
    assert refused.returncode != 0
    assert "NO_PUBKEY" in refused.stdout + refused.stderr
    apt.source(f"{server.url}/deb/rotating/", "bookworm", "main", public_key(server, "rotating"))
    apt.update()


def packages_index(server: CargoholdServer, key: str, distribution: str) -> str:
    response = httpx.get(
        f"{server.url}/deb/{key}/dists/{distribution}/main/binary-amd64/Packages",
        auth=(USER, PASSWORD),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.text


def test_uploads_at_once_are_all_listed_and_an_overwrite_changes_every_distribution(
    server: CargoholdServer, tmp_path: Path
) -> None:
    server.admin.call(
        "POST", "/repositories", 201, {"key": "busy-debs", "format": "deb", "allowOverwrite": True}
    )
    server.admin.grant(f"user:{USER}", ["busy-debs"], ["read", "write", "delete"])
    debs = [build_deb(tmp_path, f"crowd{i}", "1.0") for i in range(8)]
    with ThreadPoolExecutor(8) as pool:
        list(
            pool.map(
                lambda deb: upload(
                    server, "busy-debs", deb, "deb.distribution=bookworm;deb.component=main"
                ),
                debs,
            )
        )
    listed = packages_index(server, "busy-debs", "bookworm")
    assert sorted(line for line in listed.splitlines() if line.startswith("Package:")) == [
        f"Package: crowd{i}" for i in range(8)
    ]

    # Other bytes at the path of a package listed in bookworm, uploaded into trixie: both
    # distributions list the new bytes.
    (tmp_path / "again").mkdir()
    rebuilt = build_deb(tmp_path / "again", "crowd0", "1.0", extra="Homepage: https://x.invalid\n")
    upload(server, "busy-debs", rebuilt, "deb.distribution=trixie;deb.component=main")
    sha256 = hashlib.sha256(rebuilt.data).hexdigest()
    for distribution in ("bookworm", "trixie"):
        assert f"SHA256: {sha256}" in packages_index(server, "busy-debs", distribution)

"""Backup and restore as an operator runs them: ``cargohold backup`` while clients push,
``cargohold restore`` into a new directory, a second server on it serving every image of
the backup byte-identical (and the files, and the accounts); a second backup copies only the
new blobs; ``cargohold verify`` names a deleted and a corrupted blob, and a restore from a
damaged backup names the blob and fails."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from cargohold.cli.main import main
from tests.images import OCI_MANIFEST, Image, make_image, sha256
from tests.servers import (
    ADMIN_PASSWORD,
    ADMIN_USER,
    CargoholdServer,
    cargohold_command,
    push_plainly,
    stored_digests,
)

pytestmark = pytest.mark.e2e
PUSHERS = 2
PUSHES = 8  # at most, per pusher: they push while the backup runs, and stop when it ends
FILE = b"release notes of 1.0\n" * 100


def cargohold(*args: str) -> subprocess.CompletedProcess[str]:
    """A local administration command in a process of its own, as an operator runs it, with
    no CARGOHOLD_* setting from the tests' shell."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CARGOHOLD_")}
    result = subprocess.run(
        [*cargohold_command(), *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(*args: str) -> str:
    result = cargohold(*args)
    assert result.returncode == 0, f"cargohold {' '.join(args)}: {result.stderr}"
    return result.stdout


def local(*args: str) -> Result:
    """The same command run in the tests' own process: the stores and the use cases load
    once for the whole module (seconds each time in a process of its own)."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("CARGOHOLD_")}
    result = CliRunner(env=unset).invoke(main, list(args), prog_name="cargohold")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def local_ok(*args: str) -> str:
    result = local(*args)
    assert result.exit_code == 0, f"cargohold {' '.join(args)}: {result.stderr}"
    return result.stdout


def tiny_image(label: str) -> Image:
    return make_image([{"f": os.urandom(2_000)}, {"g": os.urandom(1_000)}], label=label)


@dataclass
class Pushers:
    """Clients pushing new images in the background until stopped (or done)."""

    url: str
    pushed: dict[tuple[str, str], Image] = field(default_factory=dict)
    failures: list[BaseException] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> Pushers:
        for number in range(PUSHERS):
            thread = threading.Thread(target=self._push, args=(number,))
            thread.start()
            self.threads.append(thread)
        return self

    def _push(self, number: int) -> None:
        try:
            with httpx.Client(
                base_url=self.url, auth=(ADMIN_USER, ADMIN_PASSWORD), timeout=30
            ) as http:
                for round_ in range(PUSHES):
                    if self.stop.is_set():
                        return
                    image = tiny_image(f"p{number}-{round_}")
                    push_plainly(http, f"dev/load/p{number}", f"r{round_}", image)
                    self.pushed[(f"dev/load/p{number}", f"r{round_}")] = image
        except BaseException as exc:
            self.failures.append(exc)

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        assert not self.failures, self.failures


@dataclass
class Origin:
    server: CargoholdServer
    images: dict[tuple[str, str], Image]  # every image pushed and acknowledged
    before: set[tuple[str, str]]  # those acknowledged before the backup started
    backup: Path


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Origin]:
    """An instance with images, a generic file and a user, backed up while two clients push."""
    root = tmp_path_factory.mktemp("backup")
    server = CargoholdServer(root / "data", workers=1).start()  # one worker: the CI has 2 cores
    try:
        admin = server.admin
        admin.call("POST", "/repositories", 201, {"key": "files", "format": "generic"})
        admin.create_user("reader", "reader-password-1")
        admin.grant("user:reader", ["dev", "files"], ["read"])
        with httpx.Client(base_url=server.url, auth=(ADMIN_USER, ADMIN_PASSWORD)) as http:
            put = http.put("/generic/files/notes/1.0.txt", content=FILE)
            assert put.status_code == 201, put.text
            images = {(f"dev/team/app{i}", "1.0"): tiny_image(f"app{i}") for i in range(3)}
            for (name, tag), image in images.items():
                push_plainly(http, name, tag, image)
        pushers = Pushers(server.url).start()
        try:
            ok("backup", str(root / "backup"), "--data-dir", str(server.data_dir))
        finally:
            pushers.join()
        yield Origin(server, {**images, **pushers.pushed}, set(images), root / "backup")
    finally:
        server.stop()


def served_tags(http: httpx.Client) -> list[tuple[str, str]]:
    catalog = http.get("/v2/_catalog", params={"n": 1000})
    assert catalog.status_code == 200, catalog.text
    found = []
    for name in catalog.json()["repositories"]:
        listed = http.get(f"/v2/{name}/tags/list")
        assert listed.status_code == 200, listed.text
        found += [(name, tag) for tag in listed.json()["tags"] or []]
    return found


def test_a_restored_backup_serves_every_image_it_holds_byte_identical(
    origin: Origin, tmp_path: Path
) -> None:
    restored = tmp_path / "restored"
    out = local_ok("restore", str(origin.backup), "--data-dir", str(restored))
    assert "verified" in out, out
    second = CargoholdServer(restored, workers=1).start()
    try:
        with httpx.Client(base_url=second.url, auth=(ADMIN_USER, ADMIN_PASSWORD)) as http:
            tags = served_tags(http)
            assert origin.before <= set(tags), tags
            for name, tag in tags:
                image = origin.images[(name, tag)]
                manifest = http.get(f"/v2/{name}/manifests/{tag}", headers={"Accept": OCI_MANIFEST})
                assert manifest.status_code == 200, manifest.text
                assert manifest.content == image.manifest
                assert manifest.headers["Docker-Content-Digest"] == image.digest
                for blob in image.blobs:
                    pulled = http.get(f"/v2/{name}/blobs/{sha256(blob)}")
                    assert pulled.status_code == 200 and sha256(pulled.content) == sha256(blob)
        # The file and the account came along.
        with httpx.Client(base_url=second.url, auth=("reader", "reader-password-1")) as http:
            assert http.get("/api/v1/me").json()["name"] == "reader"
            got = http.get("/generic/files/notes/1.0.txt")
            assert got.status_code == 200 and got.content == FILE
    finally:
        second.stop()
    manifest = json.loads((origin.backup / "backup.json").read_text())
    assert manifest["contents"]["images"] >= 3 and manifest["contents"]["files"] == 1
    assert manifest["schemaRevision"] is not None


def test_a_second_backup_copies_only_the_new_blobs(origin: Origin) -> None:
    before = stored_digests(origin.backup)
    newer = tiny_image("newer")
    with httpx.Client(base_url=origin.server.url, auth=(ADMIN_USER, ADMIN_PASSWORD)) as http:
        push_plainly(http, "dev/team/newer", "2.0", newer)
    out = local_ok("backup", str(origin.backup), "--data-dir", str(origin.server.data_dir))
    after = stored_digests(origin.backup)
    manifest = json.loads((origin.backup / "backup.json").read_text())
    added = after - before
    assert {sha256(b) for b in (*newer.blobs, newer.manifest)} <= added
    assert manifest["copied"]["blobs"] == len(added), out
    assert manifest["skipped"]["blobs"] == len(after) - len(added) > len(added)
    assert f"{len(added)} copied" in out


def test_verify_names_a_deleted_and_a_corrupted_blob_and_restore_refuses_a_damaged_backup(
    origin: Origin, tmp_path: Path
) -> None:
    restored = tmp_path / "restored"
    local_ok("restore", str(origin.backup), "--data-dir", str(restored))
    assert "0 missing, 0 corrupt" in local_ok("verify", "--data-dir", str(restored))
    image = origin.images[("dev/team/app0", "1.0")]
    deleted, corrupted = sha256(image.layers[0]), sha256(image.config)
    blob_path(restored, deleted).unlink()
    with open(blob_path(restored, corrupted), "r+b") as damaged:
        damaged.write(b"X")

    failed = local("verify", "--data-dir", str(restored))
    assert failed.exit_code == 1
    assert f"missing: {deleted}" in failed.stdout
    assert f"corrupt: {corrupted}: its bytes hash to sha256:" in failed.stdout
    assert "1 missing, 1 corrupt" in failed.stderr

    # A backup with a corrupt blob restores nothing, and says which blob.
    damaged_backup = tmp_path / "damaged"
    shutil.copytree(origin.backup, damaged_backup)
    with open(blob_path(damaged_backup, corrupted), "r+b") as damaged:
        damaged.write(b"X")
    refused = local("restore", str(damaged_backup), "--data-dir", str(tmp_path / "again"))
    assert refused.exit_code == 1
    assert f"{corrupted}: its bytes hash to sha256:" in refused.stderr
    assert not (tmp_path / "again").exists()


def blob_path(data_dir: Path, digest: str) -> Path:
    hex_ = digest.removeprefix("sha256:")
    return data_dir / "storage" / "blobs" / "sha256" / hex_[:2] / hex_

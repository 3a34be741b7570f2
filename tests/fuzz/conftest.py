"""The server both fuzzers attack: one real cargohold process for the whole session, with a
read-only user and a known image to pull back byte for byte once the fuzzing is over.

Each fuzzer runs for ``CARGOHOLD_FUZZ_SECONDS`` (default: the short CI profile); set it to
run as long as you like, e.g. ``CARGOHOLD_FUZZ_SECONDS=1800 pytest tests/fuzz``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.images import OCI_MANIFEST, Image, make_image, sha256
from tests.servers import ADMIN_PASSWORD, ADMIN_USER, CargoholdServer

READER = "fuzz-reader"
READER_PASSWORD = "fuzz-reader-password"
KNOWN_REPOSITORY = "dev/fuzz/known"
KNOWN_TAG = "1.0"


@dataclass(frozen=True)
class FuzzTarget:
    server: CargoholdServer
    image: Image

    @property
    def admin(self) -> tuple[str, str]:
        return ADMIN_USER, ADMIN_PASSWORD

    @property
    def reader(self) -> tuple[str, str]:
        return READER, READER_PASSWORD


def fuzz_seconds(default: float) -> float:
    """The time one fuzzer may take: the CI profile's ``default``, or the long profile's."""
    raw = os.environ.get("CARGOHOLD_FUZZ_SECONDS")
    return float(raw) if raw else default


@pytest.fixture(scope="session")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzTarget]:
    server = CargoholdServer(tmp_path_factory.mktemp("fuzz") / "data").start()
    try:
        admin = server.admin
        admin.create_user(READER, READER_PASSWORD)
        admin.grant(f"user:{READER}", ["dev"], ["read"])
        image = make_image([{"hello": b"the image the fuzzers must not break\n"}], label="fuzz")
        server.push(KNOWN_REPOSITORY, KNOWN_TAG, image)
        yield FuzzTarget(server, image)
    finally:
        server.stop()


def assert_still_serves(target: FuzzTarget) -> None:
    """After the fuzzing: ``/v2/`` answers and the known image pulls back byte for byte."""
    with httpx.Client(base_url=target.server.url, auth=target.admin, timeout=30) as http:
        assert http.get("/v2/").status_code == 200
        manifest = http.get(
            f"/v2/{KNOWN_REPOSITORY}/manifests/{KNOWN_TAG}", headers={"Accept": OCI_MANIFEST}
        )
        assert manifest.status_code == 200, manifest.text
        assert manifest.content == target.image.manifest
        for blob in target.image.blobs:
            pulled = http.get(f"/v2/{KNOWN_REPOSITORY}/blobs/{sha256(blob)}")
            assert pulled.status_code == 200, pulled.text
            assert pulled.content == blob

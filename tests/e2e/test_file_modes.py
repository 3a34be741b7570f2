"""What the server keeps on disk is for its own user only, whatever the umask it starts with:
the data directory is 0700; the database (password and token hashes, webhook secrets, the
token signing keys), its -wal and -shm files are 0600; nothing under the data directory is
open to other users. A data directory an older version left open is tightened on start."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.images import make_image
from tests.servers import CargoholdServer

pytestmark = pytest.mark.e2e
UMASK = 0o022  # the common one: without care, files come out readable by everyone


def modes(data_dir: Path) -> dict[str, int]:
    """The permission bits of the data directory and of everything under it, by path."""
    return {
        str(path.relative_to(data_dir)): stat.S_IMODE(path.lstat().st_mode)
        for path in [data_dir, *data_dir.rglob("*")]
    }


def push(server: CargoholdServer) -> None:
    """An image pushed, so blobs are stored and the database written to."""
    server.push("dev/team/app", "1.0", make_image([{"app": b"modes"}], label="modes"))


def test_a_new_data_directory_is_for_the_servers_user_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = CargoholdServer(data, umask=UMASK).start()
    try:
        push(server)
        server.admin.create_user("reader", "reader-password-1")
        found = modes(data)
    finally:
        server.stop()

    assert found["."] == 0o700
    assert found["cargohold.db"] == 0o600
    assert found["cargohold.db-wal"] == 0o600  # written to while the server runs
    assert found["cargohold.db-shm"] == 0o600
    assert "token-keys" not in found  # the signing keys are in the database
    assert any(name.startswith("storage/blobs/sha256/") for name in found)
    assert {name: oct(mode) for name, mode in found.items() if mode & 0o077} == {}


def test_a_data_directory_left_open_is_tightened_on_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = CargoholdServer(data, umask=UMASK)
    server.start().stop()
    # As versions before this one left it.
    data.chmod(0o755)
    (data / "cargohold.db").chmod(0o644)

    server.start()
    try:
        server.admin.create_user("reader", "reader-password-1")
        found = modes(data)
    finally:
        server.stop()
    assert (found["."], found["cargohold.db"], found["cargohold.db-wal"]) == (0o700, 0o600, 0o600)
    assert f"data directory {data} was mode 755, open to other users: made 700" in server.log()

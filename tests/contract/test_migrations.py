"""The migrations build exactly the schema the code queries."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import anyio
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from cargohold.formats import NAMES
from cargohold.meta.database import create_engine, migrate
from cargohold.meta.schema import metadata
from cargohold.meta.store import open_metadata_store
from cargohold.registry.identity.passwords import verify_password
from cargohold.registry.registry import Registry
from cargohold.storage.memory import MemoryBlobStore


def test_migrated_sqlite_matches_schema(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    migrate(engine)  # idempotent: a second start changes nothing
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def test_upgrade_keeps_the_admin_of_an_older_release(tmp_path: Path) -> None:
    """An instance made by the first release (scrypt password hashes, no identity tables)
    upgrades in place: the admin still logs in, and the hash becomes argon2."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    migrate(engine, "0001")
    salt = b"0123456789abcdef"
    key = hashlib.scrypt(b"old-password", salt=salt, n=2**14, r=8, p=1, dklen=32)
    stored = f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(key).decode()}"
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO users (name, password_hash, admin, created_at) "
                "VALUES ('admin', :hash, 1, 0)"
            ),
            {"hash": stored},
        )
    engine.dispose()

    meta = open_metadata_store(url)
    try:
        user = meta.users.get("admin")
        assert user is not None and user.admin and not user.service
        assert verify_password("old-password", user.password_hash)
        registry = Registry.build(MemoryBlobStore(), meta, formats=NAMES)
        principal = anyio.run(registry.access.authenticate, "admin", "old-password", "127.0.0.1")
        assert principal.is_admin
        rehashed = meta.users.get("admin")
        assert rehashed is not None and rehashed.password_hash is not None
        assert rehashed.password_hash.startswith("$argon2id$")
    finally:
        meta.close()


def test_upgrade_indexes_the_aliases_and_build_artifacts_stored_before(tmp_path: Path) -> None:
    """Advisories imported and builds recorded before where-used existed are found by it:
    the upgrade fills the alias and build-artifact indexes from the stored documents."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    migrate(engine, "0004")
    digest = "sha256:" + "b" * 64
    document = {
        "modules": [
            {
                "id": "m",
                "artifacts": [
                    {"type": "docker", "repository": "dev", "name": "team/app", "digest": digest}
                ],
            }
        ]
    }
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO advisories (id, modified, summary, severity, aliases, record, "
                "imported_at) VALUES ('GHSA-1', 0, '', 'HIGH', '[\"CVE-2021-44228\"]', '{}', 0)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO builds (name, number, started, url, document, created_at, "
                "created_by) VALUES ('app', '7', 0, '', :doc, 0, 'ci')"
            ),
            {"doc": json.dumps(document)},
        )
    engine.dispose()

    meta = open_metadata_store(url)
    try:
        assert meta.advisories.resolve("CVE-2021-44228") == ["GHSA-1"]
        with meta.engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT name, number, digest, repository, path FROM build_artifacts")
            ).all()
        assert [tuple(r) for r in rows] == [("app", "7", digest, "dev", "team/app")]
    finally:
        meta.close()

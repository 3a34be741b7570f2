"""The migrations build exactly the schema the code queries."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import anyio
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from cargohold.formats import NAMES
from cargohold.meta.database import MIGRATIONS, create_engine, migrate
from cargohold.meta.schema import metadata
from cargohold.meta.store import open_metadata_store
from cargohold.registry.identity.passwords import verify_password
from cargohold.registry.registry import Registry
from cargohold.storage.memory import MemoryBlobStore
from tests.postgres import PostgresServer


def test_migrated_sqlite_matches_schema(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    migrate(engine)  # idempotent: a second start changes nothing
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def test_migrated_postgresql_matches_schema(postgresql_server: PostgresServer) -> None:
    engine = create_engine(postgresql_server.empty_database())
    try:
        migrate(engine)
        migrate(engine)
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_on_postgresql_every_text_column_compares_byte_by_byte(
    postgresql_server: PostgresServer,
) -> None:
    """Orders and folder ranges hold in byte order only; the server's default collation
    (ICU en-US here) is not."""
    engine = create_engine(postgresql_server.empty_database())
    try:
        migrate(engine)
        with engine.connect() as connection:
            columns = connection.execute(
                sa.text(
                    "SELECT table_name, column_name, collation_name FROM information_schema.columns"
                    " WHERE table_schema = current_schema() AND table_name <> 'alembic_version'"
                    " AND data_type IN ('text', 'character varying')"
                )
            ).all()
    finally:
        engine.dispose()
    assert len(columns) > 50
    assert [c for c in columns if c.collation_name != "C"] == []


# A node: connects, says it is ready, migrates when told to go.
_NODE = """
import sys
from cargohold.meta.database import create_engine, migrate
engine = create_engine(sys.argv[1])
with engine.connect():
    pass
print("ready", flush=True)
sys.stdin.readline()
migrate(engine)
engine.dispose()
"""


def test_nodes_starting_at_once_migrate_a_new_postgresql_database_once(
    postgresql_server: PostgresServer,
) -> None:
    url = postgresql_server.empty_database()
    nodes = [
        subprocess.Popen(
            [sys.executable, "-c", _NODE, url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        for node in nodes:
            assert node.stdout is not None and node.stdout.readline() == "ready\n"
        for node in nodes:
            assert node.stdin is not None
            node.stdin.write("go\n")
            node.stdin.flush()
        outcomes = [node.communicate(timeout=120) for node in nodes]
    finally:
        for node in nodes:
            node.kill()
    assert [(node.returncode, err) for node, (_, err) in zip(nodes, outcomes, strict=True)] == [
        (0, "")
    ] * 3
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            versions = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
            differences = compare_metadata(MigrationContext.configure(connection), metadata)
    finally:
        engine.dispose()
    assert [tuple(v) for v in versions] == [(ScriptDirectory(str(MIGRATIONS)).get_current_head(),)]
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


def test_components_stored_before_identity_was_kept_say_nothing_of_it(tmp_path: Path) -> None:
    """A scan saved before the upgrade keeps its components; which rule named each is
    unknown (NULL), not guessed."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    migrate(engine, "0019")
    digest = "sha256:" + "c" * 64
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO scans (digest, kind, name, status, reasons, cache_key, "
                "requested_at, scanned_at, matched_at) "
                "VALUES (:digest, 'file', 'libs-local/x.jar', 'done', '[]', 'k', 0, 1, 1)"
            ),
            {"digest": digest},
        )
        connection.execute(
            sa.text(
                "INSERT INTO scan_components (digest, seq, name, version, ecosystem, purl, "
                "purl_key, cataloger, evidence, licenses, visible) VALUES (:digest, 0, "
                "'commons-logging:commons-logging', '1.2', 'Maven', "
                "'pkg:maven/commons-logging/commons-logging@1.2', "
                "'pkg:maven/commons-logging/commons-logging', 'java', :digest, '[]', 1)"
            ),
            {"digest": digest},
        )
    engine.dispose()

    meta = open_metadata_store(url)
    try:
        assert [(c.name, c.version, c.identity) for c in meta.scans.components(digest)] == [
            ("commons-logging:commons-logging", "1.2", None)
        ]
    finally:
        meta.close()

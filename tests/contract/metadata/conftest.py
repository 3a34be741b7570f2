"""The backends every MetadataStore contract runs against, one fresh database per test.

SQLite: a database file in the test's ``tmp_path``, opened by ``open_metadata_store`` as the
server opens it (WAL, foreign keys on). Migrating takes longer than most contracts, so the
schema is built once per session and each test starts from a copy of that file.

PostgreSQL: ``postgresql_url`` (``tests/conftest.py``) is a fresh database on the session's
server, started from Debian's ``postgresql`` package and reached through psycopg 3, cloned
from a migrated template. Its default collation is ICU's en-US, not byte order, so a
contract that depends on order proves that cargohold asks for the order it needs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cargohold.meta.store import MetadataStore, open_metadata_store

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database file with the whole schema, closed (its WAL checkpointed into it)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "meta.db"
    open_metadata_store(f"sqlite:///{path}").close()
    return path


@pytest.fixture(params=BACKENDS)
def meta(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    """A MetadataStore on an empty, migrated database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "meta.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        os.chmod(path, 0o600)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("postgresql_url")
    store = open_metadata_store(url)
    yield store
    store.close()


@pytest.fixture
def meta_url(meta: MetadataStore) -> str:
    """The URL ``meta`` was opened with: a second store on it stands for another worker."""
    return meta.engine.url.render_as_string(hide_password=False)

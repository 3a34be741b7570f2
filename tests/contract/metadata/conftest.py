"""The backends every MetadataStore contract runs against, one fresh database per test.

SQLite: a database file in the test's ``tmp_path``, opened by ``open_metadata_store`` as the
server opens it (WAL, foreign keys on). Migrating takes longer than most contracts, so the
schema is built once per session and each test starts from a copy of that file.

PostgreSQL: ``postgresql_url`` starts a real server from Debian's ``postgresql`` package
(``initdb`` and ``pg_ctl`` run as the ``postgres`` user in a temporary directory, listening
on 127.0.0.1 on a free port, stopped by its PID at the end of the session) and gives each
test a fresh database cloned from a migrated template; SQLAlchemy reaches it through psycopg
3. It is ready for the PostgreSQL backend but not in ``BACKENDS`` yet: ``open_metadata_store``
refuses a PostgreSQL URL (the change marker reads SQLite's ``data_version`` only), and with
that worked around three contracts still fail there: a folder listing that needs a second
batch seeks with a NUL character, which PostgreSQL text cannot hold; and two racing pushes to
a new immutable tag, or a file and a folder put at once on the same path, both succeed
(SQLite serializes writers; PostgreSQL takes no lock before the checks). Once all pass, add
``"postgresql"`` to ``BACKENDS``, ``postgresql`` to the packages ``scripts/test`` installs and
psycopg to the test extra.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cargohold.meta.database import create_engine, migrate
from cargohold.meta.store import MetadataStore, open_metadata_store

BACKENDS = ("sqlite",)
POSTGRES_BIN = Path("/usr/lib/postgresql")


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


# --- PostgreSQL ----------------------------------------------------------------------------


def _postgres_bin() -> Path:
    versions = sorted(POSTGRES_BIN.glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not versions:
        pytest.fail("PostgreSQL is not installed: apt-get install postgresql")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as the ``postgres`` user (PostgreSQL refuses to run as root)."""
    account = pwd.getpwnam("postgres")

    def demote() -> None:
        os.setgid(account.pw_gid)
        os.setuid(account.pw_uid)

    return subprocess.run(
        command,
        preexec_fn=demote if os.getuid() == 0 else None,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[str]:
    """A PostgreSQL server for this session; the URL of its ``postgres`` database."""
    binaries = _postgres_bin()
    root = Path(tempfile.mkdtemp(prefix="cargohold-pg-"))
    data = root / "data"
    if os.getuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(root, account.pw_uid, account.pw_gid)
    port = _free_port()
    _as_postgres(
        str(binaries / "initdb"),
        "--pgdata",
        str(data),
        "--username",
        "postgres",
        "--auth",
        "trust",
        "--encoding",
        "UTF8",
        "--locale",
        "C.UTF-8",
        "--no-sync",
    )
    options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off"
    _as_postgres(
        str(binaries / "pg_ctl"),
        "--pgdata",
        str(data),
        "--log",
        str(root / "server.log"),
        "--options",
        options,
        "--wait",
        "start",
    )
    pid = int((data / "postmaster.pid").read_text().split()[0])
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        os.kill(pid, signal.SIGINT)  # fast shutdown
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (data / "postmaster.pid").exists():
            time.sleep(0.05)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgresql_template(postgresql_server: str) -> str:
    """The name of a database with the whole schema, to clone for each test."""
    admin = sa.create_engine(f"{postgresql_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("CREATE DATABASE cargohold_template")
    admin.dispose()
    engine = create_engine(f"{postgresql_server}/cargohold_template")
    migrate(engine)
    engine.dispose()
    return "cargohold_template"


_databases = itertools.count()


@pytest.fixture
def postgresql_url(postgresql_server: str, postgresql_template: str) -> str:
    """The URL of a fresh database with the whole schema."""
    name = f"contract_{next(_databases)}"
    admin = sa.create_engine(f"{postgresql_server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {name} TEMPLATE {postgresql_template}")
    admin.dispose()
    return f"{postgresql_server}/{name}"

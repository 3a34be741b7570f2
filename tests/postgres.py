"""A real PostgreSQL server for the tests, from Debian's ``postgresql`` package.

``initdb`` and ``pg_ctl`` run as the ``postgres`` user (PostgreSQL refuses to run as root) in a
temporary directory; the server listens on 127.0.0.1 on a free port, without fsync (the tests
need no durability across a crash of the machine) or autovacuum, and is stopped by its PID.
One server serves a whole session: each test gets a database of its own, cloned from a
migrated template (``CREATE DATABASE ... TEMPLATE`` copies files, much faster than
migrating), and dropped after it. The fixtures are in ``tests/conftest.py``.

``count_statements`` (the benchmark's option, off for the tests) preloads
``pg_stat_statements`` (shipped in Debian's package), which counts every statement the server
runs, ``BEGIN``/``COMMIT``/``ROLLBACK`` included (``track_utility``).
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
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from cargohold.meta.database import create_engine, migrate

POSTGRES_BIN = Path("/usr/lib/postgresql")
TEMPLATE = "cargohold_template"
AHEAD = 2  # databases cloned ahead of the tests that will take them


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
    """Run ``command`` as the ``postgres`` user when running as root."""
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


class PostgresServer:
    def __init__(self, root: Path, port: int, pid: int) -> None:
        self._root = root
        self._pid = pid
        self.base = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
        self._names = itertools.count()
        self._template = False
        # The next tests' databases are cloned, and the last ones dropped, while a test runs.
        self._background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pg-admin")
        self._ready: deque[Future[str]] = deque()
        self._pending: list[Future[None]] = []  # drops not done yet

    @property
    def pid(self) -> int:
        """The postmaster's; every process it forks is its child, in a session of its own."""
        return self._pid

    @classmethod
    def start(cls, *, count_statements: bool = False) -> PostgresServer:
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
            # A default collation that is not byte order ("a" < "B" < "b"), as servers set up
            # with en_US.UTF-8 have: cargohold must give its own order wherever order matters.
            "--locale-provider",
            "icu",
            "--icu-locale",
            "en-US",
            "--no-sync",
        )
        # No autovacuum: its ANALYZE writes, and so moves the change marker, which tests
        # check stays put while cargohold writes nothing.
        options = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {root} -c fsync=off -c autovacuum=off"
        )
        if count_statements:
            options += (
                " -c shared_preload_libraries=pg_stat_statements"
                " -c pg_stat_statements.track_utility=on"
            )
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
        return cls(root, port, pid)

    def url(self, database: str) -> str:
        return f"{self.base}/{database}"

    def admin(self, statement: str) -> None:
        """Run ``statement`` outside a transaction (as CREATE and DROP DATABASE must be)."""
        engine = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(statement)
        finally:
            engine.dispose()

    def empty_database(self) -> str:
        """The URL of a new database without any table."""
        name = f"test_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def migrated_database(self) -> str:
        """The URL of a new database with the whole schema, cloned from the template (built
        at the first call); the next ones are cloned in the background meanwhile."""
        if not self._template:
            self.admin(f"CREATE DATABASE {TEMPLATE}")
            engine = create_engine(self.url(TEMPLATE))
            migrate(engine)
            engine.dispose()
            self._template = True
        while len(self._ready) < AHEAD + 1:
            self._ready.append(self._background.submit(self._clone))
        return self._ready.popleft().result()

    def _clone(self) -> str:
        name = f"test_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop the database at ``url`` in the background, closing any connection a test
        left open."""
        name = url.rpartition("/")[2]
        self._pending.append(
            self._background.submit(self.admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        )

    def settle(self) -> None:
        """Wait until the databases being cloned ahead and dropped behind are done. The change
        marker moves for writes to any database of the server, so a test that checks it stays
        put must not share the server with that work."""
        for ready in self._ready:
            ready.result()
        for pending in self._pending:
            pending.result()
        self._pending.clear()

    def stop(self) -> None:
        self._background.shutdown(wait=True)
        os.kill(self._pid, signal.SIGINT)  # fast shutdown
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (self._root / "data/postmaster.pid").exists():
            time.sleep(0.05)
        shutil.rmtree(self._root, ignore_errors=True)


__all__ = ["PostgresServer"]

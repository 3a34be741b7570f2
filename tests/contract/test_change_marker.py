"""The change marker: every write from any process is seen by the next request, on SQLite
and on PostgreSQL, including a write that was in flight while a request read."""

from __future__ import annotations

import asyncio
import contextvars
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from cargohold.core.errors import DatabaseUnavailable
from cargohold.meta import open_metadata_store
from cargohold.meta.schema import repositories
from cargohold.meta.store import MetadataStore
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.cache import ChangeAwareCache


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'c.db'}"
    return str(request.getfixturevalue("postgresql_url"))


@pytest.fixture
def reader(url: str) -> Iterator[MetadataStore]:
    store = open_metadata_store(url)
    yield store
    store.close()


@pytest.fixture
def writer(url: str, reader: MetadataStore) -> Iterator[MetadataStore]:
    """Another worker process (or node) on the same database."""
    store = open_metadata_store(url, run_migrations=False)
    yield store
    store.close()


def fresh_reading(meta: MetadataStore) -> int:
    """The marker as a new request reads it."""
    return contextvars.Context().run(meta.changes.read)


def _row(key: str) -> dict[str, object]:
    return {
        "key": key,
        "format": "docker",
        "kind": "local",
        "anonymous_read": False,
        "description": "",
        "immutable_tags": False,
        "created_at": 0.0,
    }


def test_writes_from_another_process_are_seen_by_the_next_request(
    reader: MetadataStore, writer: MetadataStore
) -> None:
    first_request = contextvars.Context()
    before = first_request.run(reader.changes.read)
    writer.repositories.create(RepositoryRecord("other", "docker", "local", False))
    # The request that was already running keeps its snapshot ...
    assert first_request.run(reader.changes.read) == before
    # ... every request that starts after the write sees it.
    assert fresh_reading(reader) != before


def test_a_request_sees_its_own_writes(reader: MetadataStore) -> None:
    request = contextvars.Context()
    before = request.run(reader.changes.read)
    request.run(reader.repositories.create, RepositoryRecord("mine", "docker", "local", False))
    assert request.run(reader.changes.read) != before


def test_reads_leave_the_marker_where_it_is(reader: MetadataStore) -> None:
    before = fresh_reading(reader)
    for _ in range(3):
        reader.repositories.list()
        assert reader.repositories.get("nothing") is None
    assert fresh_reading(reader) == before


def test_a_write_that_began_before_a_reading_and_commits_after_it_moves_the_marker(
    reader: MetadataStore, writer: MetadataStore
) -> None:
    """The writer's transaction is open (but has written nothing: it holds no transaction
    id yet) when the marker is read; it writes and commits after."""
    with writer.engine.connect() as connection:
        transaction = connection.begin()
        connection.execute(sa.select(repositories.c.key)).all()
        marker = fresh_reading(reader)
        connection.execute(repositories.insert().values(**_row("late")))
        transaction.commit()
    assert fresh_reading(reader) != marker


def test_what_was_read_while_a_write_was_in_flight_is_not_trusted_after_it_commits(
    reader: MetadataStore, writer: MetadataStore, url: str
) -> None:
    """A request reads the marker and loads a value while one write is in flight and a later
    one has already committed (so the newest finished transaction is past the one in
    flight); the write in flight commits while the value is in hand, and the cache keeps
    it. The next request must load it again and see the write."""
    cache: ChangeAwareCache[str, bool] = ChangeAwareCache(reader.changes.read)
    with writer.engine.connect() as in_flight:
        transaction = in_flight.begin()
        in_flight.execute(repositories.insert().values(**_row("late")))
        if url.startswith("postgresql"):  # SQLite has one writer at a time
            writer.repositories.create(RepositoryRecord("later", "docker", "local", False))

        async def load() -> bool:
            present = reader.repositories.get("late") is not None  # before the commit
            transaction.commit()  # ... which lands while the value is in hand
            return present

        def request() -> bool:
            return asyncio.run(cache.get("late", load))

        assert contextvars.Context().run(request) is False

    async def not_again() -> bool:
        raise AssertionError("loaded again in the same request")

    async def again() -> bool:
        return reader.repositories.get("late") is not None

    assert contextvars.Context().run(asyncio.run, cache.get("late", again)) is True
    assert contextvars.Context().run(asyncio.run, cache.get("late", not_again)) is True


def test_an_unreachable_postgresql_is_a_503_not_a_crash() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    meta = open_metadata_store(
        f"postgresql+psycopg://cargohold:s3cret@127.0.0.1:{port}/cargohold", run_migrations=False
    )
    try:
        with pytest.raises(DatabaseUnavailable, match=f"127.0.0.1:{port}/cargohold") as down:
            fresh_reading(meta)
        assert down.value.status == 503
        assert "s3cret" not in str(down.value)
        with pytest.raises(DatabaseUnavailable, match="unavailable"):
            meta.repositories.get("dev")
    finally:
        meta.close()

"""The change marker: every write from any process is seen by the next request."""

from __future__ import annotations

import contextvars
from pathlib import Path

from cargohold.meta import open_metadata_store
from cargohold.records.repositories import RepositoryRecord


def test_writes_from_another_process_are_seen_by_the_next_request(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    reader = open_metadata_store(url)
    writer = open_metadata_store(url, run_migrations=False)  # stands for another worker
    try:
        first_request = contextvars.Context()
        before = first_request.run(reader.changes.read)
        writer.repositories.create(RepositoryRecord("other", "docker", "local", False))
        # The request that was already running keeps its snapshot ...
        assert first_request.run(reader.changes.read) == before
        # ... every request that starts after the write sees it.
        assert contextvars.Context().run(reader.changes.read) != before
    finally:
        reader.close()
        writer.close()


def test_a_request_sees_its_own_writes(tmp_path: Path) -> None:
    meta = open_metadata_store(f"sqlite:///{tmp_path / 'c.db'}")
    try:
        request = contextvars.Context()
        before = request.run(meta.changes.read)
        request.run(meta.repositories.create, RepositoryRecord("mine", "docker", "local", False))
        assert request.run(meta.changes.read) != before
    finally:
        meta.close()

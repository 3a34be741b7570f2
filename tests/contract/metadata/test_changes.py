"""The change marker: caches trust what they hold only while it stays the same, so it must
move after every committed write, from this store or another one on the same database, and
stay put after a write that was rolled back."""

from __future__ import annotations

import contextvars
from collections.abc import Callable

import pytest

from cargohold.core.errors import Denied, TagImmutable
from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.records.jobs import NewJob
from cargohold.records.repositories import RepositoryRecord
from tests.contract.metadata.examples import file, manifest, new_manifest, repository


def fresh_reading(meta: MetadataStore) -> int:
    """The marker as a new request reads it."""
    return contextvars.Context().run(meta.changes.read)


def test_the_marker_moves_after_every_committed_write(meta: MetadataStore) -> None:
    writes: list[Callable[[], object]] = [
        lambda: repository(meta, "prod", immutable_tags=True),
        lambda: meta.manifests.put(new_manifest("prod", "team/app", manifest("a"), "1.0")),
        lambda: meta.manifests.delete_tag("prod", "team/app", "1.0"),
        lambda: meta.generic.put(file("prod", "f.txt"), {}, may_overwrite=False),
        lambda: meta.properties.set("prod", "file:f.txt", {"qa": ["passed"]}),
        lambda: meta.jobs.enqueue(NewJob("gc", {}), 1.0),
        lambda: meta.repositories.update("prod", {"description": "released"}),
    ]
    seen = {fresh_reading(meta)}
    for write in writes:
        write()
        reading = fresh_reading(meta)
        assert reading not in seen
        seen.add(reading)


def test_the_marker_stays_after_a_rolled_back_write(meta: MetadataStore) -> None:
    repository(meta, "prod", immutable_tags=True)
    meta.manifests.put(new_manifest("prod", "team/app", manifest("a"), "1.0"))
    meta.generic.put(file("prod", "f.txt"), {}, may_overwrite=False)
    before = fresh_reading(meta)
    with pytest.raises(TagImmutable):
        meta.manifests.put(
            new_manifest("prod", "team/app", manifest("b"), "1.0", immutable_tags=True)
        )
    with pytest.raises(Denied):
        meta.generic.put(file("prod", "f.txt", "other"), {}, may_overwrite=False)
    assert meta.manifests.get("prod", "team/app", manifest("a").digest) is not None  # a read
    assert fresh_reading(meta) == before


def test_a_write_through_another_store_moves_the_marker(meta: MetadataStore, meta_url: str) -> None:
    other = open_metadata_store(meta_url, run_migrations=False)  # another worker process
    try:
        request = contextvars.Context()
        before = request.run(meta.changes.read)
        other.repositories.create(RepositoryRecord("elsewhere", "docker", "local", False))
        assert request.run(meta.changes.read) == before  # a running request keeps its view
        assert fresh_reading(meta) != before
    finally:
        other.close()


def test_a_request_sees_its_own_writes(meta: MetadataStore) -> None:
    request = contextvars.Context()
    before = request.run(meta.changes.read)
    request.run(meta.repositories.create, RepositoryRecord("mine", "docker", "local", False))
    assert request.run(meta.changes.read) != before

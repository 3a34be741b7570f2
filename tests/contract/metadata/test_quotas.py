"""Quotas on every metadata backend: what a repository and the instance hold (distinct blobs,
each counted once), the check a link or a file makes in its own transaction, and two racing
pushes that would together exceed a quota (one is refused, never both let through)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from functools import partial

import pytest

from cargohold.core.errors import QuotaExceeded
from cargohold.meta.store import MetadataStore, open_metadata_store
from tests.contract.metadata.examples import digest, file, repository

ROUNDS = 3


def with_quota(meta: MetadataStore, key: str, quota: int | None, format: str = "docker") -> None:
    repository(meta, key, format=format)
    assert meta.repositories.update(key, {"quota_bytes": quota})


@pytest.fixture
def instance_store(meta: MetadataStore, meta_url: str) -> Iterator[Callable[[int], MetadataStore]]:
    """Another store on the same database, as a server whose instance has a quota opens it."""
    opened: list[MetadataStore] = []

    def open_with(quota: int) -> MetadataStore:
        opened.append(open_metadata_store(meta_url, run_migrations=False, instance_quota=quota))
        return opened[-1]

    yield open_with
    for store in opened:
        store.close()


def test_usage_counts_each_blob_once_per_repository(meta: MetadataStore) -> None:
    repository(meta, "dev")
    repository(meta, "prod")
    repository(meta, "files", format="generic")
    layer, other = digest("layer"), digest("other")
    meta.blobs.link("dev", "team/app", layer, 1000)
    meta.blobs.link("dev", "team/api", layer, 1000)  # the same layer in two images: once
    meta.blobs.link("dev", "team/api", other, 24)
    meta.blobs.link("prod", "team/app", layer, 1000)
    meta.generic.put(file("files", "a.txt", "same"), {}, may_overwrite=False)
    meta.generic.put(file("files", "b/c.txt", "same"), {}, may_overwrite=False)
    meta.generic.put(file("files", "d.txt", "different"), {}, may_overwrite=False)

    assert meta.quotas.usage("dev") == 1024
    assert meta.quotas.usage("prod") == 1000
    assert meta.quotas.usage("files") == len("same") + len("different")
    assert meta.quotas.usage_by_repository() == {"dev": 1024, "prod": 1000, "files": 13}
    assert meta.quotas.usage_by_repository(["prod", "nothing"]) == {"prod": 1000}
    report = meta.quotas.report()
    assert report.stored_bytes == 1024 + 13 and report.stored_blobs == 4
    assert sorted((i.repository, i.name, i.used_bytes, i.blobs) for i in report.images) == [
        ("dev", "team/api", 1024, 2),
        ("dev", "team/app", 1000, 1),
        ("prod", "team/app", 1000, 1),
    ]


def test_a_link_over_the_quota_is_refused_and_leaves_nothing(meta: MetadataStore) -> None:
    with_quota(meta, "dev", 1500)
    meta.blobs.start_upload("u1", "dev", "team/app")
    meta.blobs.link("dev", "team/app", digest("one"), 1000)
    with pytest.raises(QuotaExceeded) as refused:
        meta.blobs.link("dev", "team/app", digest("two"), 600, upload_id="u1")
    assert "repository 'dev' has a quota of 1.46 KiB and uses 1 KB" in refused.value.message
    assert "would add 600 B" in refused.value.message
    assert meta.blobs.linked_size("dev", "team/app", digest("two")) is None
    assert meta.blobs.upload_owner("u1") == ("dev", "team/app")  # the caller ends it
    assert meta.quotas.usage("dev") == 1000
    # What fits still goes in, up to the quota exactly.
    meta.blobs.link("dev", "team/app", digest("three"), 500)
    assert meta.quotas.usage("dev") == 1500


def test_content_the_repository_holds_costs_nothing(meta: MetadataStore) -> None:
    with_quota(meta, "dev", 1000)
    meta.blobs.link("dev", "team/app", digest("layer"), 1000)
    # Full, yet the same layer in another image of the repository is never refused.
    meta.blobs.link("dev", "team/other", digest("layer"), 1000)
    meta.blobs.link("dev", "team/app", digest("layer"), 1000)
    assert meta.blobs.linked_size("dev", "team/other", digest("layer")) == 1000
    with pytest.raises(QuotaExceeded):
        meta.blobs.link("dev", "team/app", digest("new"), 1)


def test_a_quota_of_none_is_no_limit_and_a_lowered_one_refuses_what_is_new(
    meta: MetadataStore,
) -> None:
    with_quota(meta, "dev", None)
    meta.blobs.link("dev", "team/app", digest("big"), 10**12)
    assert meta.repositories.update("dev", {"quota_bytes": 10})
    with pytest.raises(QuotaExceeded):
        meta.blobs.link("dev", "team/app", digest("small"), 1)


def test_generic_files_are_checked_and_an_overwrite_frees_what_it_replaces(
    meta: MetadataStore,
) -> None:
    with_quota(meta, "files", 10, format="generic")
    meta.generic.put(file("files", "a.txt", "12345678"), {}, may_overwrite=True)
    with pytest.raises(QuotaExceeded) as refused:
        meta.generic.put(file("files", "b.txt", "abc"), {}, may_overwrite=True)
    assert "repository 'files' has a quota of 10 B and uses 8 B" in refused.value.message
    assert meta.generic.get("files", "b.txt") is None
    # The same content at another path costs nothing...
    meta.generic.put(file("files", "copy.txt", "12345678"), {}, may_overwrite=True)
    # ...and while copy.txt holds it, replacing a.txt frees nothing.
    with pytest.raises(QuotaExceeded):
        meta.generic.put(file("files", "a.txt", "0123456789"), {}, may_overwrite=True)
    assert meta.generic.delete("files", "copy.txt")
    meta.generic.put(file("files", "a.txt", "0123456789"), {}, may_overwrite=True)
    assert meta.quotas.usage("files") == 10


def test_the_instance_quota_counts_every_blob_once(
    meta: MetadataStore, instance_store: Callable[[int], MetadataStore]
) -> None:
    repository(meta, "dev")
    repository(meta, "prod")
    limited = instance_store(1000)
    assert limited.quotas.instance_bytes == 1000
    limited.blobs.link("dev", "team/app", digest("layer"), 900)
    limited.blobs.link("prod", "team/app", digest("layer"), 900)  # stored already: free
    with pytest.raises(QuotaExceeded) as refused:
        limited.blobs.link("prod", "team/app", digest("more"), 101)
    assert "the instance has a quota of 1 KB and uses 900 B" in refused.value.message
    assert refused.value.detail == {
        "repository": None,
        "scope": "instance",
        "quotaBytes": 1000,
        "usedBytes": 900,
        "addingBytes": 101,
    }
    limited.blobs.link("prod", "team/app", digest("fits"), 100)


def test_admit_checks_before_the_work_without_a_digest(meta: MetadataStore) -> None:
    with_quota(meta, "dev", 100)
    meta.blobs.link("dev", "team/app", digest("layer"), 60)
    meta.quotas.admit("dev", None, 40)
    meta.quotas.admit("dev", digest("layer"), 60)  # held already
    with pytest.raises(QuotaExceeded):
        meta.quotas.admit("dev", None, 41)


def at_once(calls: list[Callable[[], object]]) -> list[BaseException | None]:
    """What each call raised (None: it succeeded), all started at the same moment."""
    ready = threading.Barrier(len(calls))
    outcomes: list[BaseException | None] = [None] * len(calls)

    def run(i: int) -> None:
        ready.wait()
        try:
            calls[i]()
        except BaseException as exc:  # what the loser gets, checked below
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_of_two_racing_links_that_together_exceed_the_quota_one_is_refused(
    meta: MetadataStore, meta_url: str
) -> None:
    other = open_metadata_store(meta_url, run_migrations=False)  # another worker or node
    try:
        for round in range(ROUNDS):
            key = f"race{round}"
            with_quota(meta, key, 100)
            outcomes = at_once(
                [
                    partial(meta.blobs.link, key, "a", digest(f"{key}-a"), 60),
                    partial(other.blobs.link, key, "b", digest(f"{key}-b"), 60),
                ]
            )
            refused = [o for o in outcomes if o is not None]
            assert len(refused) == 1 and isinstance(refused[0], QuotaExceeded), outcomes
            assert meta.quotas.usage(key) == 60
    finally:
        other.close()


def test_of_two_racing_pushes_to_two_repositories_the_instance_quota_lets_one_through(
    meta: MetadataStore, instance_store: Callable[[int], MetadataStore]
) -> None:
    repository(meta, "dev")
    repository(meta, "files", format="generic")
    for round in range(ROUNDS):
        stored = meta.quotas.report().stored_bytes
        first, second = instance_store(stored + 100), instance_store(stored + 100)
        outcomes = at_once(
            [
                partial(first.blobs.link, "dev", "a", digest(f"a{round}"), 60),
                partial(
                    second.generic.put,
                    file("files", f"b{round}", f"{round}".ljust(60, "y")),
                    {},
                    may_overwrite=False,
                ),
            ]
        )
        refused = [o for o in outcomes if o is not None]
        assert len(refused) == 1 and isinstance(refused[0], QuotaExceeded), outcomes
        assert meta.quotas.report().stored_bytes == stored + 60

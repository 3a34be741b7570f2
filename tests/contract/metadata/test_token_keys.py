"""The keys registry tokens are signed with: one first key however many nodes start at once,
each rotation's key newer than every other, old keys dropped only once replaced long enough
ago, and a rotation's audit record committed with it."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable

from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.records.identity import AuditFilter, TokenKeyRecord
from tests.contract.metadata.examples import audit

NOW = 1_700_000_000.0
LIFE = 360.0  # how long a replaced key keeps verifying


def kids(meta: MetadataStore) -> list[str]:
    return [k.kid for k in meta.token_keys.all()]


def at_once(calls: list[Callable[[], object]]) -> list[object]:
    """What each call returns when they all run at the same moment, each in a thread."""
    ready = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        ready.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_the_first_key_is_created_once(meta: MetadataStore) -> None:
    assert meta.token_keys.all() == []
    assert meta.token_keys.create_first("pem-1", NOW) is True
    assert meta.token_keys.create_first("pem-2", NOW + 1) is False
    [key] = meta.token_keys.all()
    assert (key.created, key.private_key) == (NOW, "pem-1")
    assert key.kid.startswith(f"{int(NOW * 1000)}-")
    assert "pem-1" not in repr(key)  # a key in a log message shows no secret


def test_nodes_starting_at_once_create_one_first_key(meta: MetadataStore, meta_url: str) -> None:
    stores = [meta] + [open_metadata_store(meta_url, run_migrations=False) for _ in range(3)]
    try:
        for round in range(3):
            with meta.engine.begin() as connection:
                connection.exec_driver_sql("DELETE FROM token_keys")
            created = at_once(
                [
                    functools.partial(store.token_keys.create_first, f"pem-{i}", NOW + i)
                    for i, store in enumerate(stores)
                ]
            )
            assert created.count(True) == 1, round
            [key] = meta.token_keys.all()
            assert key.private_key == f"pem-{created.index(True)}"
            assert all(store.token_keys.all() == [key] for store in stores)
    finally:
        for store in stores[1:]:
            store.close()


def test_keys_of_an_older_version_are_imported_only_into_an_empty_table(
    meta: MetadataStore,
) -> None:
    old = [TokenKeyRecord("1600000000000-aa", 1_600_000_000.0, "pem-old")]
    assert meta.token_keys.import_first([]) is False
    assert meta.token_keys.import_first(old) is True
    assert meta.token_keys.all() == old  # the id is kept: tokens it signed still name it
    assert meta.token_keys.import_first([TokenKeyRecord("1-b", 0.001, "pem")]) is False
    assert meta.token_keys.create_first("pem-new", NOW) is False
    assert meta.token_keys.all() == old


def test_a_rotated_key_is_newer_than_every_other_whatever_the_clock(
    meta: MetadataStore,
) -> None:
    meta.token_keys.create_first("pem-1", NOW)
    # A node whose clock is behind the one that made the first key.
    second = meta.token_keys.rotate("pem-2", NOW - 30, LIFE)
    assert second.created > NOW
    third = meta.token_keys.rotate("pem-3", NOW - 30, LIFE)
    assert third.created > second.created
    assert kids(meta)[-1] == third.kid
    assert [k.private_key for k in meta.token_keys.all()] == ["pem-1", "pem-2", "pem-3"]


def test_rotation_drops_only_keys_replaced_longer_ago_than_a_token_lives(
    meta: MetadataStore,
) -> None:
    meta.token_keys.create_first("pem-1", NOW)
    [first] = kids(meta)
    second = meta.token_keys.rotate("pem-2", NOW + 10, LIFE)
    assert kids(meta) == [first, second.kid]  # replaced 0 s ago: its tokens still verify
    third = meta.token_keys.rotate("pem-3", NOW + 10 + LIFE - 1, LIFE)
    assert kids(meta) == [first, second.kid, third.kid]  # replaced LIFE - 1 s ago
    fourth = meta.token_keys.rotate("pem-4", NOW + 10 + LIFE + 1, LIFE)
    assert kids(meta) == [second.kid, third.kid, fourth.kid]


def test_a_rotation_commits_its_effects_with_it(meta: MetadataStore) -> None:
    record = audit("token-key.rotate", "system/token-keys/rotate", repository=None)
    key = meta.token_keys.rotate("pem", NOW, LIFE, Effects(NOW, audit=(record,)))
    assert kids(meta) == [key.kid]
    [stored] = meta.audit.query(AuditFilter(action="token-key.rotate"), None, 10)
    assert (stored.principal, stored.target) == ("alice", "system/token-keys/rotate")


def test_rotations_at_once_on_two_nodes_each_add_a_key(meta: MetadataStore, meta_url: str) -> None:
    other = open_metadata_store(meta_url, run_migrations=False)
    try:
        meta.token_keys.create_first("pem-0", NOW)
        rotated = at_once(
            [
                lambda: meta.token_keys.rotate("pem-a", NOW, LIFE),
                lambda: other.token_keys.rotate("pem-b", NOW, LIFE),
            ]
        )
        stored = meta.token_keys.all()
        assert len(stored) == 3 and stored[0].private_key == "pem-0"
        assert len({k.created for k in stored}) == 3  # one newest: every node signs with it
        assert {k.kid for k in stored[1:]} == {
            k.kid for k in rotated if isinstance(k, TokenKeyRecord)
        }
    finally:
        other.close()

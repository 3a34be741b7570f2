"""The keys repositories sign their indexes with, on every metadata backend: one first key
whatever the race, and rotations that keep the previous keys for their grace period."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from cargohold.meta.store import MetadataStore
from cargohold.records.signing import SigningKey
from tests.contract.metadata.examples import repository


def key(name: str, created: float) -> SigningKey:
    return SigningKey("debs", name, f"secret {name}", f"public {name}", created)


def test_processes_making_the_first_key_at_once_end_with_one(meta: MetadataStore) -> None:
    repository(meta, "debs", format="deb")
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(lambda i: meta.signing_keys.create_first(key(f"k{i}", 1.0)), range(6))
        )
    (kept,) = meta.signing_keys.keys("debs")
    assert all(found == [kept] for found in answers)


def test_a_rotation_keeps_the_previous_keys_until_their_grace_ends(meta: MetadataStore) -> None:
    repository(meta, "debs", format="deb")
    meta.signing_keys.create_first(key("first", 1.0))
    after_first = meta.signing_keys.rotate(key("second", 10.0), retire_at=100.0)
    assert [(k.fingerprint, k.retire_at) for k in after_first] == [
        ("second", None),
        ("first", 100.0),
    ]
    # A rotation with a shorter grace shortens it for every key before; one retiring sooner
    # keeps its time, and keys already retired by then go.
    after_second = meta.signing_keys.rotate(key("third", 20.0), retire_at=50.0)
    assert [(k.fingerprint, k.retire_at) for k in after_second] == [
        ("third", None),
        ("second", 50.0),
        ("first", 50.0),
    ]
    after_third = meta.signing_keys.rotate(key("fourth", 60.0), retire_at=60.0)
    assert [(k.fingerprint, k.retire_at) for k in after_third] == [
        ("fourth", None),
        ("third", 60.0),
    ]
    assert meta.signing_keys.keys("other") == []

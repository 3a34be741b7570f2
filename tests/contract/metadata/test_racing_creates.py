"""Two workers (or two nodes) creating the same name at the same moment: one creates it with
its audit record, the other is told the name is taken (the API's 409), and neither fails."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable

import pytest

from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.records.identity import AuditFilter, GroupRecord, UserRecord
from cargohold.records.policy import PolicyRecord, WatchRecord
from cargohold.records.repositories import RepositoryRecord
from cargohold.records.retention import RetentionPolicyRecord
from tests.contract.metadata.examples import audit

ROUNDS = 5

Create = Callable[[MetadataStore, str, Effects], bool]

CREATES: dict[str, Create] = {
    "user": lambda meta, name, effects: meta.users.create(
        UserRecord(name, "hash", False, False, None, 10.0), effects
    ),
    "group": lambda meta, name, effects: meta.groups.create(GroupRecord(name, "", ()), effects),
    "repository": lambda meta, name, effects: meta.repositories.create(
        RepositoryRecord(name, "docker", "local", False), effects
    ),
    "policy": lambda meta, name, effects: meta.policies.create_policy(
        PolicyRecord(name, "", {}, {}, 10.0, 10.0, "alice"), effects
    ),
    "watch": lambda meta, name, effects: meta.policies.create_watch(
        WatchRecord(name, "", (), (), 10.0, 10.0, "alice"), effects
    ),
    "retention policy": lambda meta, name, effects: meta.retention.create(
        RetentionPolicyRecord(secrets.token_hex(8), name, "", ("dev",), None, (), True), effects
    ),
}


def at_once(stores: list[MetadataStore], create: Create, name: str) -> list[object]:
    """What each store's create answered (or raised), all started at the same moment."""
    ready = threading.Barrier(len(stores))
    answers: list[object] = [None] * len(stores)

    def run(i: int) -> None:
        effects = Effects(100.0, audit=(audit("create", name, principal=f"worker-{i}"),))
        ready.wait()
        try:
            answers[i] = create(stores[i], name, effects)
        except Exception as exc:  # what a racing loser must not get
            answers[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_of_two_racing_creates_of_one_name_one_wins_and_the_other_is_told_it_is_taken(
    meta: MetadataStore, meta_url: str, kind: str
) -> None:
    other = open_metadata_store(meta_url, run_migrations=False)  # another worker or node
    try:
        for round in range(ROUNDS):
            name = f"{kind}-{round}"
            answers = at_once([meta, other], CREATES[kind], name)
            assert sorted(answers, key=repr) == [False, True], answers
            recorded = meta.audit.query(AuditFilter(), None, 100)
            winner = f"worker-{answers.index(True)}"
            assert [(r.target, r.principal) for r in recorded if r.target == name] == [
                (name, winner)
            ]
    finally:
        other.close()

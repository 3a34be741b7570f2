"""Repositories: keys are unique, settings change, and deleting one takes its content along;
each change commits its effects with it, and a refused one commits none."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import AuditFilter
from cargohold.records.repositories import Holdings, RepositoryRecord
from tests.contract.metadata.examples import audit, digest, file, manifest, new_manifest


def test_a_repository_is_created_once_and_read_back(meta: MetadataStore) -> None:
    dev = RepositoryRecord("dev", "docker", "local", True, "team images", immutable_tags=False)
    assert meta.repositories.create(dev) is True
    assert meta.repositories.create(RepositoryRecord("dev", "generic", "local", False)) is False
    assert meta.repositories.get("dev") == dev
    assert meta.repositories.get("none") is None


def test_repositories_list_by_key(meta: MetadataStore) -> None:
    for key in ("prod", "dev", "staging"):
        meta.repositories.create(RepositoryRecord(key, "docker", "local", False))
    assert [r.key for r in meta.repositories.list()] == ["dev", "prod", "staging"]


def test_settings_change_one_by_one(meta: MetadataStore) -> None:
    meta.repositories.create(RepositoryRecord("prod", "docker", "local", False))
    assert meta.repositories.update("prod", {"immutable_tags": True}) is True
    assert meta.repositories.update("prod", {"anonymous_read": True, "description": "released"})
    assert meta.repositories.update("none", {"description": "x"}) is False
    assert meta.repositories.get("prod") == RepositoryRecord(
        "prod", "docker", "local", True, "released", immutable_tags=True
    )


def test_deleting_a_repository_deletes_what_it_holds(meta: MetadataStore) -> None:
    for key in ("dev", "prod"):
        meta.repositories.create(RepositoryRecord(key, "docker", "local", False))
    image = manifest("image")
    for key in ("dev", "prod"):
        meta.blobs.link(key, "team/app", digest("layer"), 10)
        meta.manifests.put(new_manifest(key, "team/app", image, "1.0"))
        meta.generic.put(file(key, "a.txt"), {"qa": ["passed"]}, may_overwrite=False)
    assert meta.repositories.delete("dev") is True
    assert meta.repositories.delete("dev") is False
    assert meta.repositories.get("dev") is None
    assert meta.blobs.linked_size("dev", "team/app", digest("layer")) is None
    assert meta.manifests.get("dev", "team/app", image.digest) is None
    assert meta.manifests.resolve_tag("dev", "team/app", "1.0") is None
    assert meta.generic.get("dev", "a.txt") is None
    assert meta.properties.get("dev", "file:a.txt") == {}
    assert meta.manifests.names(None, None, ["dev", "prod"]) == ["prod/team/app"]
    assert meta.manifests.resolve_tag("prod", "team/app", "1.0") == image.digest


def recorded(action: str, key: str) -> Effects:
    return Effects(100.0, audit=(audit(action, f"repositories/{key}", repository=key),))


def test_each_change_commits_its_effects_and_a_refused_one_none(meta: MetadataStore) -> None:
    team = RepositoryRecord("team", "docker", "local", False)
    assert meta.repositories.create(team, recorded("repository.create", "team"))
    assert not meta.repositories.create(team, recorded("refused.create", "team"))
    assert meta.repositories.update(
        "team", {"description": "x"}, recorded("repository.update", "team")
    )
    assert not meta.repositories.update(
        "none", {"description": "x"}, recorded("refused.update", "none")
    )
    assert meta.repositories.delete("team", recorded("repository.delete", "team"))
    assert not meta.repositories.delete("team", recorded("refused.delete", "team"))
    log = meta.audit.query(AuditFilter(), None, 10)
    assert [(r.action, r.target, r.repository) for r in reversed(log)] == [
        ("repository.create", "repositories/team", "team"),
        ("repository.update", "repositories/team", "team"),
        ("repository.delete", "repositories/team", "team"),
    ]


def test_remove_counts_what_it_holds_and_a_refusal_keeps_it(meta: MetadataStore) -> None:
    meta.repositories.create(RepositoryRecord("dev", "docker", "local", False))
    tagged, untagged = manifest("tagged"), manifest("untagged")
    meta.manifests.put(new_manifest("dev", "team/app", tagged, "1.0"))
    meta.manifests.put(new_manifest("dev", "team/app", tagged, "latest"))
    meta.manifests.put(new_manifest("dev", "team/app", untagged, None))
    meta.generic.put(file("dev", "a.txt"), {}, may_overwrite=False)
    held = Holdings(tags=2, manifests=2, files=1)
    assert meta.repositories.holdings("dev") == held

    class Refused(Exception):
        pass

    def refuse(seen: Holdings) -> None:
        assert seen == held
        raise Refused

    with pytest.raises(Refused):
        meta.repositories.remove("dev", refuse, lambda _: recorded("refused.delete", "dev"))
    assert meta.manifests.resolve_tag("dev", "team/app", "1.0") == tagged.digest
    assert meta.audit.query(AuditFilter(), None, 10) == []

    def effects_of(seen: Holdings) -> Effects:
        entry = audit("repository.delete", "repositories/dev", repository="dev")
        return Effects(100.0, audit=(replace(entry, detail=f"removed {seen}"),))

    assert meta.repositories.remove("dev", effects_of=effects_of) == held
    assert meta.repositories.remove("dev") is None
    [record] = meta.audit.query(AuditFilter(), None, 10)
    assert record.detail == "removed 2 tags, 2 manifests, 1 file"

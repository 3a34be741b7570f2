"""Policies, the watches that apply them, exceptions, and the facts a policy is evaluated on."""

from __future__ import annotations

from cargohold.meta.effects import Effects, ScanRequest
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import AuditFilter
from cargohold.records.insight import AdvisoryRecord, ComponentRow, NewFinding
from cargohold.records.jobs import NewJob
from cargohold.records.policy import (
    ExceptionRecord,
    FindingFact,
    LicensedComponent,
    PolicyRecord,
    WatchRecord,
)
from tests.contract.metadata.examples import audit, digest, manifest, new_manifest, repository

NO_CRITICAL = PolicyRecord(
    "no-critical",
    "blocks critical vulnerabilities",
    {"severity": "CRITICAL", "licenses": ["GPL-3.0-only"]},
    {"block_download": True, "block_promotion": False},
    10.0,
    10.0,
    "alice",
)
PROD = WatchRecord(
    "prod", "release repositories", ("prod", "release-*"), ("no-critical",), 11.0, 11.0, "alice"
)


def test_policies_are_created_once_read_back_and_changed(meta: MetadataStore) -> None:
    assert meta.policies.create_policy(NO_CRITICAL) is True
    assert meta.policies.create_policy(NO_CRITICAL) is False
    assert meta.policies.get_policy("no-critical") == NO_CRITICAL
    assert meta.policies.get_policy("none") is None
    meta.policies.create_policy(PolicyRecord("audit-only", "", {}, {}, 12.0, 12.0, "bob"))
    assert [p.name for p in meta.policies.all_policies()] == ["audit-only", "no-critical"]
    changed = meta.policies.update_policy(
        "no-critical",
        {"rules": {"severity": "HIGH"}, "description": "stricter", "updated_at": 20.0},
    )
    assert changed == PolicyRecord(
        "no-critical",
        "stricter",
        {"severity": "HIGH"},
        NO_CRITICAL.actions,
        10.0,
        20.0,
        "alice",
    )
    assert meta.policies.update_policy("no-critical", {}) == changed
    assert meta.policies.update_policy("none", {"description": "x"}) is None


def test_a_policy_that_a_watch_applies_cannot_be_deleted(meta: MetadataStore) -> None:
    meta.policies.create_policy(NO_CRITICAL)
    meta.policies.create_watch(PROD)
    assert meta.policies.delete_policy("no-critical") == (False, ["prod"])
    assert meta.policies.get_policy("no-critical") == NO_CRITICAL
    assert meta.policies.delete_watch("prod") is True
    assert meta.policies.delete_watch("prod") is False
    assert meta.policies.delete_policy("no-critical") == (True, [])
    assert meta.policies.delete_policy("no-critical") == (False, [])


def test_watches_are_created_once_read_back_and_changed(meta: MetadataStore) -> None:
    assert meta.policies.create_watch(PROD) is True
    assert meta.policies.create_watch(PROD) is False
    assert meta.policies.get_watch("prod") == PROD
    assert meta.policies.get_watch("none") is None
    meta.policies.create_watch(WatchRecord("all", "", ("*",), (), 1.0, 1.0, "bob"))
    assert [w.name for w in meta.policies.all_watches()] == ["all", "prod"]
    changed = meta.policies.update_watch("prod", {"repositories": ["prod"], "policies": []})
    assert changed is not None and (changed.repositories, changed.policies) == (("prod",), ())
    assert meta.policies.update_watch("none", {"policies": []}) is None


def recorded(action: str) -> Effects:
    """The effects of an administrator's change: its audit record."""
    return Effects(1.0, audit=(audit(action, action, repository=None),))


def committed(meta: MetadataStore) -> list[str]:
    """The actions of the audit records committed, oldest first."""
    return [r.action for r in reversed(meta.audit.query(AuditFilter(), None, 100))]


def test_policy_and_watch_changes_commit_their_effects_and_refused_ones_none(
    meta: MetadataStore,
) -> None:
    assert meta.policies.create_policy(NO_CRITICAL, recorded("policy.create"))
    assert not meta.policies.create_policy(NO_CRITICAL, recorded("taken"))
    assert meta.policies.update_policy("no-critical", {"description": "x"}, recorded("p.update"))
    assert meta.policies.update_policy("none", {"description": "x"}, recorded("missing")) is None
    assert meta.policies.create_watch(PROD, recorded("watch.create"))
    assert not meta.policies.create_watch(PROD, recorded("taken"))
    assert meta.policies.update_watch("prod", {"policies": ["no-critical"]}, recorded("w.update"))
    assert meta.policies.update_watch("none", {"policies": []}, recorded("missing")) is None
    assert meta.policies.delete_policy("no-critical", recorded("applied")) == (False, ["prod"])
    assert meta.policies.delete_watch("prod", recorded("watch.delete"))
    assert not meta.policies.delete_watch("prod", recorded("missing"))
    assert meta.policies.delete_policy("no-critical", recorded("policy.delete")) == (True, [])
    assert meta.policies.delete_policy("no-critical", recorded("missing")) == (False, [])
    assert committed(meta) == [
        "policy.create",
        "p.update",
        "watch.create",
        "w.update",
        "watch.delete",
        "policy.delete",
    ]


def test_an_exception_grant_and_revoke_commit_their_effects(meta: MetadataStore) -> None:
    meta.policies.add_exception(exception("e1", 10.0, 50.0), recorded("grant"))
    assert meta.policies.delete_exception("e1", recorded("revoke"))
    assert not meta.policies.delete_exception("e1", recorded("missing"))
    assert committed(meta) == ["grant", "revoke"]


def exception(
    exception_id: str, created: float, expires: float, target: str = digest("image")
) -> ExceptionRecord:
    return ExceptionRecord(
        exception_id, target, "CVE-2021-44228", None, "fixed upstream", expires, created, "alice"
    )


def test_exceptions_list_newest_first_by_digest_and_expiry(meta: MetadataStore) -> None:
    old = exception("e1", 10.0, 50.0)
    current = exception("e2", 20.0, 500.0)
    other = exception("e3", 30.0, 500.0, digest("other"))
    same_time = exception("e4", 30.0, 500.0)
    for record in (old, current, other, same_time):
        meta.policies.add_exception(record)
    assert meta.policies.get_exception("e1") == old
    assert meta.policies.get_exception("none") is None
    page = meta.policies.exceptions_page
    assert page(digest=None, expired=None, now=100.0, before=None, limit=10) == [
        same_time,
        other,
        current,
        old,
    ]
    assert page(digest=digest("image"), expired=None, now=100.0, before=None, limit=10) == [
        same_time,
        current,
        old,
    ]
    assert page(digest=None, expired=True, now=100.0, before=None, limit=10) == [old]
    assert page(digest=None, expired=False, now=50.0, before=None, limit=10) == [
        same_time,
        other,
        current,
    ]
    assert page(digest=None, expired=None, now=100.0, before=(30.0, "e4"), limit=2) == [
        other,
        current,
    ]
    assert meta.policies.delete_exception("e1") is True
    assert meta.policies.delete_exception("e1") is False


def test_the_facts_of_an_artifact_hold_its_findings_licenses_and_exceptions(
    meta: MetadataStore,
) -> None:
    repository(meta, "prod")
    image, index = manifest("image"), manifest("index")
    meta.manifests.put(new_manifest("prod", "team/app", image))
    meta.manifests.put(new_manifest("prod", "team/app", index, "1.0", children=(image.digest,)))
    job = NewJob("scan", {})
    meta.effects.commit(
        Effects(1.0, scans=(ScanRequest(image.digest, "image", "prod/team/app", "k", job),))
    )
    components = [
        ComponentRow(
            1, "log4j-core", "2.14.1", "maven", "", "", "", "", ("Apache-2.0",), None, None, True
        ),
        ComponentRow(
            2, "readline", "8.2", "deb", "", "", "", "", ("GPL-3.0-only",), None, None, True
        ),
        ComponentRow(3, "gone", "1", "deb", "", "", "", "", ("MIT",), None, None, False),
        ComponentRow(4, "zlib", "1.3", "deb", "", "", "", "", (), None, None, True),
    ]
    found = [NewFinding("GHSA-jfh8", 1, "CRITICAL", ()), NewFinding("DSA-1", 4, "LOW", ())]
    meta.scans.save(image.digest, "done", [], "k", components, [], found, 2.0)
    meta.advisories.import_batch(
        [AdvisoryRecord("GHSA-jfh8", 1.0, None, "", "CRITICAL", ("CVE-2021-44228",), "{}", ())]
    )
    on_image = exception("e1", 10.0, 500.0, image.digest)
    on_index = exception("e2", 11.0, 500.0, index.digest)
    meta.policies.add_exception(on_image)
    meta.policies.add_exception(on_index)
    meta.policies.add_exception(exception("e3", 12.0, 500.0, digest("other")))
    facts = meta.policies.facts(image.digest)
    assert facts.findings == (
        FindingFact("DSA-1", "LOW", (), "zlib", "1.3"),
        FindingFact("GHSA-jfh8", "CRITICAL", ("CVE-2021-44228",), "log4j-core", "2.14.1"),
    )
    assert facts.licensed == (
        LicensedComponent("log4j-core", "2.14.1", ("Apache-2.0",)),
        LicensedComponent("readline", "8.2", ("GPL-3.0-only",)),
    )
    assert sorted(facts.exceptions, key=lambda e: e.id) == [on_image, on_index]
    empty = meta.policies.facts(digest("unscanned"))
    assert (empty.findings, empty.licensed, empty.exceptions) == ((), (), ())

"""Scans, their components and findings, the advisory database and where-used."""

from __future__ import annotations

from dataclasses import replace

from cargohold.meta.effects import Effects, ScanRequest
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import AuditFilter
from cargohold.records.insight import (
    AdvisoryRecord,
    ComponentRow,
    FindingRecord,
    ImportCounts,
    NewFinding,
    ScanRecord,
)
from cargohold.records.jobs import NewJob
from tests.contract.metadata.examples import (
    audit,
    digest,
    file,
    manifest,
    new_manifest,
    repository,
)

IMAGE = digest("image")


def request(meta: MetadataStore, target: str = IMAGE, now: float = 10.0) -> None:
    job = NewJob("scan", {"digest": target})
    meta.effects.commit(
        Effects(now, scans=(ScanRequest(target, "image", "dev/team/app", "k1", job),))
    )


def component(seq: int, name: str, version: str, *, visible: bool = True) -> ComponentRow:
    return ComponentRow(
        seq,
        name,
        version,
        "maven",
        f"pkg:maven/org.example/{name}@{version}",
        f"pkg:maven/org.example/{name}",
        "java-archive",
        f"{IMAGE}!/app.jar",
        ("Apache-2.0",) if name == "log4j-core" else (),
        None,
        None,
        visible,
    )


# Which rule of its cataloger named it is kept; None (a cataloger with one rule) too.
LOG4J = replace(component(1, "log4j-core", "2.14.1"), identity="pom.properties")
GUAVA = component(2, "guava", "30.0")
HIDDEN = component(3, "commons-text", "1.9", visible=False)


def save(
    meta: MetadataStore, found: list[NewFinding], now: float, target: str = IMAGE
) -> list[str]:
    return meta.scans.save(
        target,
        "done",
        [],
        "k1",
        [LOG4J, GUAVA, HIDDEN],
        [("maven", "org.example:log4j-core"), ("maven", "org.example:guava")],
        found,
        now,
    )


def test_a_requested_scan_is_pending_until_its_result_is_saved(meta: MetadataStore) -> None:
    request(meta)
    assert meta.scans.get(IMAGE) == ScanRecord(
        IMAGE, "image", "dev/team/app", "pending", (), "k1", 10.0, None, None
    )
    assert save(meta, [NewFinding("GHSA-1", 1, "CRITICAL", ("2.15.0",))], 20.0) == ["GHSA-1"]
    assert meta.scans.get(IMAGE) == ScanRecord(
        IMAGE, "image", "dev/team/app", "done", (), "k1", 10.0, 20.0, 20.0
    )
    assert meta.scans.components(IMAGE) == [LOG4J, GUAVA, HIDDEN]
    assert meta.scans.findings(IMAGE) == [
        FindingRecord(IMAGE, "GHSA-1", 1, "CRITICAL", ("2.15.0",), 20.0)
    ]
    assert meta.scans.get(digest("none")) is None
    assert meta.scans.get_many([IMAGE, digest("none"), IMAGE]) == {IMAGE: meta.scans.get(IMAGE)}


def test_a_new_result_replaces_the_old_and_keeps_when_each_finding_was_first_found(
    meta: MetadataStore,
) -> None:
    request(meta)
    save(meta, [NewFinding("GHSA-1", 1, "CRITICAL", ())], 20.0)
    newly = save(
        meta,
        [NewFinding("GHSA-1", 1, "CRITICAL", ()), NewFinding("GHSA-2", 2, "LOW", ())],
        30.0,
    )
    assert newly == ["GHSA-2"]
    assert [(f.advisory_id, f.found_at) for f in meta.scans.findings(IMAGE)] == [
        ("GHSA-1", 20.0),
        ("GHSA-2", 30.0),
    ]
    assert meta.scans.components(IMAGE) == [LOG4J, GUAVA, HIDDEN]


def test_a_rematch_replaces_findings_and_undecided_versions_make_it_incomplete(
    meta: MetadataStore,
) -> None:
    request(meta)
    save(meta, [NewFinding("GHSA-1", 1, "CRITICAL", ())], 20.0)
    newly = meta.scans.replace_findings(
        {IMAGE: ([NewFinding("GHSA-3", 2, "HIGH", ("31.0",))], ["guava 30.0: unknown range"])},
        40.0,
    )
    assert newly == {IMAGE: ["GHSA-3"]}
    assert [(f.advisory_id, f.found_at) for f in meta.scans.findings(IMAGE)] == [("GHSA-3", 40.0)]
    scan = meta.scans.get(IMAGE)
    assert scan is not None
    assert (scan.status, scan.reasons, scan.scanned_at, scan.matched_at) == (
        "incomplete",
        ("guava 30.0: unknown range",),
        20.0,
        40.0,
    )


def test_a_failed_scan_drops_the_components_it_had(meta: MetadataStore) -> None:
    request(meta)
    save(meta, [NewFinding("GHSA-1", 1, "CRITICAL", ())], 20.0)
    meta.scans.fail(IMAGE, "layer 3 is not a tar archive", 30.0)
    scan = meta.scans.get(IMAGE)
    assert scan is not None
    assert (scan.status, scan.reasons, scan.scanned_at) == (
        "failed",
        ("layer 3 is not a tar archive",),
        30.0,
    )
    assert meta.scans.components(IMAGE) == []
    assert meta.scans.findings(IMAGE) == []
    assert meta.scans.digests_for([("maven", "org.example:guava")]) == []


def test_matching_reads_visible_components_and_lookups(meta: MetadataStore) -> None:
    other = digest("other")
    request(meta)
    request(meta, other)
    save(meta, [], 20.0)
    save(meta, [], 20.0, target=other)
    matchable = meta.scans.matchable([IMAGE, digest("none")])
    assert [(c.seq, c.name, c.version, c.ecosystem, c.purl) for c in matchable[IMAGE]] == [
        (1, "log4j-core", "2.14.1", "maven", ""),
        (2, "guava", "30.0", "maven", ""),
    ]
    assert matchable[digest("none")] == []
    assert meta.scans.digests_for([("maven", "org.example:guava"), ("npm", "x")]) == sorted(
        [IMAGE, other]
    )
    assert meta.scans.digests_for([("npm", "x")]) == []
    ordered = sorted([IMAGE, other])
    assert meta.scans.digests(None, 10) == ordered
    assert meta.scans.digests(ordered[0], 10) == ordered[1:]
    assert meta.scans.digests(None, 1) == ordered[:1]


def test_a_layer_index_is_cached_per_cataloger_version(meta: MetadataStore) -> None:
    layer = digest("layer")
    meta.scans.put_layer_index(layer, "k1", b"\x00index\xff", 10.0)
    meta.scans.put_layer_index(layer, "k1", b"ignored", 11.0)
    assert meta.scans.layer_index(layer, "k1") == b"\x00index\xff"
    assert meta.scans.layer_index(layer, "k2") is None


def advisory(
    advisory_id: str, modified: float, *aliases: str, package: str = "org.example:log4j-core"
) -> AdvisoryRecord:
    return AdvisoryRecord(
        advisory_id,
        modified,
        None,
        f"summary of {advisory_id} at {modified}",
        "CRITICAL",
        aliases,
        "{}",
        (("Maven", package),),
        modified + 1000,
    )


def test_an_advisory_import_adds_newer_versions_and_skips_the_rest(meta: MetadataStore) -> None:
    first = advisory("GHSA-1", 1.0, "CVE-2021-44228")
    assert meta.advisories.import_batch([first, advisory("GHSA-2", 1.0)]) == ImportCounts(2, 0, 0)
    assert meta.advisories.import_batch([first]) == ImportCounts(0, 0, 1)
    newer = advisory("GHSA-1", 2.0, "CVE-2021-45046", package="org.example:guava")
    assert meta.advisories.import_batch([newer, advisory("GHSA-1", 1.5)]) == ImportCounts(0, 1, 0)
    assert meta.advisories.get("GHSA-1") == newer
    assert meta.advisories.get("GHSA-9") is None
    assert meta.advisories.count() == 2
    assert meta.advisories.resolve("CVE-2021-44228") == []
    assert meta.advisories.resolve("CVE-2021-45046") == ["GHSA-1"]
    assert meta.advisories.resolve("GHSA-2") == ["GHSA-2"]
    found = meta.advisories.for_packages([("Maven", "org.example:guava")])
    assert [a.id for a in found] == ["GHSA-1"]
    assert [a.id for a in meta.advisories.for_packages([("Maven", "org.example:log4j-core")])] == [
        "GHSA-2"
    ]
    assert meta.advisories.packages_since(1002.0) == [("Maven", "org.example:guava")]
    assert meta.advisories.severities(["GHSA-1", "GHSA-9"]) == {
        "GHSA-1": ("CRITICAL", "summary of GHSA-1 at 2.0", ("CVE-2021-45046",))
    }


def test_an_advisory_import_commits_its_effects_even_when_nothing_changed(
    meta: MetadataStore,
) -> None:
    def recorded(n: int) -> Effects:
        return Effects(100.0, audit=(audit(f"import.{n}", "vulndb/import", repository=None),))

    first = advisory("GHSA-1", 1.0)
    assert meta.advisories.import_batch([first], recorded(1)) == ImportCounts(1, 0, 0)
    assert meta.advisories.import_batch([first], recorded(2)) == ImportCounts(0, 0, 1)
    assert meta.advisories.import_batch([], recorded(3)) == ImportCounts(0, 0, 0)
    log = meta.audit.query(AuditFilter(), None, 10)
    assert [r.action for r in reversed(log)] == ["import.1", "import.2", "import.3"]


def test_where_used_finds_components_findings_and_locations(meta: MetadataStore) -> None:
    repository(meta, "dev")
    image = manifest("image")
    index = manifest("index")
    meta.manifests.put(new_manifest("dev", "team/app", image, "1.0"))
    meta.manifests.put(new_manifest("dev", "team/app", index, "multi", children=(image.digest,)))
    meta.generic.put(file("dev", "app.tar", "image"), {}, may_overwrite=False)  # same digest
    request(meta, image.digest)
    meta.scans.save(
        image.digest,
        "done",
        [],
        "k1",
        [LOG4J, GUAVA, HIDDEN],
        [],
        [NewFinding("GHSA-1", 1, "CRITICAL", ()), NewFinding("GHSA-2", 2, "LOW", ())],
        20.0,
    )
    with_purl = meta.impact.with_purl
    assert with_purl("pkg:maven/org.example/log4j-core", None, None, 10) == [(image.digest, LOG4J)]
    assert with_purl("pkg:maven/org.example/log4j-core", "2.17.0", None, 10) == []
    assert with_purl("pkg:maven/org.example/commons-text", None, None, 10) == []  # not visible
    assert with_purl("pkg:maven/org.example/log4j-core", None, (image.digest, 1), 10) == []
    pairs = meta.impact.with_advisories(["GHSA-1", "GHSA-2"], None, 10)
    assert [(f.advisory_id, c.name) for f, c in pairs] == [
        ("GHSA-1", "log4j-core"),
        ("GHSA-2", "guava"),
    ]
    after = (image.digest, "GHSA-1", 1)
    assert [
        f.advisory_id for f, _ in meta.impact.with_advisories(["GHSA-1", "GHSA-2"], after, 10)
    ] == ["GHSA-2"]
    assert [f.advisory_id for f in meta.impact.found_since(20.0, None, 10)] == ["GHSA-1", "GHSA-2"]
    assert meta.impact.found_since(20.5, None, 10) == []
    # The same content pushed as a file is found too; locations come by repository and path.
    where = [
        (asked, loc.kind, loc.path, loc.digest, loc.tags)
        for asked, loc in meta.impact.locations([image.digest])
    ]
    in_images = sorted(
        [
            (image.digest, "image", "team/app", image.digest, ("1.0",)),
            (image.digest, "image", "team/app", index.digest, ("multi",)),
        ]
    )
    assert where == [(image.digest, "file", "app.tar", image.digest, ()), *in_images]
    assert meta.impact.locations([digest("none")]) == []

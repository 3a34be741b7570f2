"""Generic files: a tree of paths per repository, and promotion of files between
repositories, all or nothing."""

from __future__ import annotations

import threading

import pytest

from cargohold.core.errors import Conflict, Denied
from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.records.generic import FolderEntry, GenericFileRecord, Transfer
from cargohold.records.lifecycle import PromotionRecord
from tests.contract.metadata.examples import digest, file, repository


@pytest.fixture(autouse=True)
def repositories(meta: MetadataStore) -> None:
    repository(meta, "files", format="generic")
    repository(meta, "release", format="generic")


def put(
    meta: MetadataStore, path: str, content: str = "x", **props: list[str]
) -> GenericFileRecord:
    record = file("files", path, content)
    assert meta.generic.put(record, dict(props), may_overwrite=False) is None
    return record


def paths(records: list[GenericFileRecord]) -> list[str]:
    return [r.path for r in records]


def test_a_file_reads_back_with_its_properties(meta: MetadataStore) -> None:
    record = put(meta, "dist/app.tar.gz", "app", qa=["passed"])
    assert meta.generic.get("files", "dist/app.tar.gz") == record
    assert meta.generic.get("release", "dist/app.tar.gz") is None
    assert meta.properties.get("files", "file:dist/app.tar.gz") == {"qa": ["passed"]}
    assert meta.generic.holder(digest("app"), ["release", "files"]) == record
    assert meta.generic.holder(digest("app"), ["release"]) is None
    assert meta.generic.holder(digest("app"), []) is None


def test_overwriting_a_file_needs_the_right_to(meta: MetadataStore) -> None:
    old = put(meta, "a.txt", "old", qa=["passed"])
    new = file("files", "a.txt", "new", at=200.0)
    with pytest.raises(Denied) as refused:
        meta.generic.put(new, {"qa": ["failed"]}, may_overwrite=False)
    assert refused.value.detail == {"repository": "files", "action": "delete"}
    assert meta.generic.get("files", "a.txt") == old
    assert meta.properties.get("files", "file:a.txt") == {"qa": ["passed"]}
    assert meta.generic.put(new, {"build": ["7"]}, may_overwrite=True) == old
    assert meta.generic.get("files", "a.txt") == new
    assert meta.properties.get("files", "file:a.txt") == {"build": ["7"]}


def test_a_file_and_a_folder_cannot_share_a_path(meta: MetadataStore) -> None:
    put(meta, "a/b")
    with pytest.raises(Conflict) as under_a_file:
        meta.generic.put(file("files", "a/b/c"), {}, may_overwrite=True)
    assert under_a_file.value.detail == {"path": "a/b"}
    with pytest.raises(Conflict) as over_a_folder:
        meta.generic.put(file("files", "a"), {}, may_overwrite=True)
    assert over_a_folder.value.detail == {"path": "a"}
    assert paths(meta.generic.under("files", "")) == ["a/b"]
    # Only whole path segments count: a/bc and ab are neither inside nor above a/b.
    put(meta, "a/bc")
    put(meta, "ab")
    assert paths(meta.generic.under("files", "")) == ["a/b", "a/bc", "ab"]


def test_an_upload_ends_with_the_file_that_it_made(meta: MetadataStore) -> None:
    meta.blobs.start_upload("u" * 32, "files", "a.txt")
    record = file("files", "a.txt")
    meta.generic.put(record, {}, may_overwrite=False, upload_id="u" * 32)
    assert meta.blobs.upload_owner("u" * 32) is None
    assert meta.generic.get("files", "a.txt") == record


TREE = [
    "a.txt",
    "dist/app/1.0/app.tgz",
    "dist/app/2.0/app.tgz",
    "dist/lib.tgz",
    "dist0",
    "dist-x/y",
]


def test_folders_are_the_paths_that_files_go_through(meta: MetadataStore) -> None:
    for path in TREE:
        put(meta, path)
    assert meta.generic.is_folder("files", "")
    assert meta.generic.is_folder("files", "dist")
    assert meta.generic.is_folder("files", "dist/app")
    assert not meta.generic.is_folder("files", "dist/lib.tgz")
    assert not meta.generic.is_folder("files", "dis")
    assert not meta.generic.is_folder("release", "")
    assert paths(meta.generic.under("files", "dist")) == [
        "dist/app/1.0/app.tgz",
        "dist/app/2.0/app.tgz",
        "dist/lib.tgz",
    ]
    assert paths(meta.generic.under("files", "dist/lib.tgz")) == ["dist/lib.tgz"]
    assert meta.generic.under("files", "none") == []


def test_a_folder_lists_its_children_in_path_order(meta: MetadataStore) -> None:
    for path in TREE:
        put(meta, path)
    children = meta.generic.children
    root = children("files", "", 10)
    # A subfolder sorts where the paths inside it do: "dist-x/" < "dist/" < "dist0".
    assert [(e.name, e.file is not None) for e in root] == [
        ("a.txt", True),
        ("dist-x", False),
        ("dist", False),
        ("dist0", True),
    ]
    assert root[0] == FolderEntry("a.txt", meta.generic.get("files", "a.txt"))
    assert [e.name for e in children("files", "", 2)] == ["a.txt", "dist-x"]
    assert [e.name for e in children("files", "dist", 10)] == ["app", "lib.tgz"]
    assert [e.name for e in children("files", "dist/app", 10)] == ["1.0", "2.0"]
    assert children("files", "none", 10) == []


def test_a_folder_of_many_files_is_one_child(meta: MetadataStore) -> None:
    for i in range(260):  # more than one batch of the seek
        put(meta, f"big/{i:03}.bin")
    put(meta, "c.txt")
    put(meta, "a.txt")
    assert [e.name for e in meta.generic.children("files", "", 10)] == ["a.txt", "big", "c.txt"]
    assert len(meta.generic.children("files", "big", 1000)) == 260


def test_files_list_by_path_prefix_a_page_at_a_time(meta: MetadataStore) -> None:
    for path in TREE:
        put(meta, path)
    page = meta.generic.page
    assert paths(page("files", "", None, 100)) == sorted(TREE)
    assert paths(page("files", "dist/", None, 100)) == [
        "dist/app/1.0/app.tgz",
        "dist/app/2.0/app.tgz",
        "dist/lib.tgz",
    ]
    assert paths(page("files", "dist", None, 100)) == sorted(TREE)[1:]
    assert paths(page("files", "dist", "dist/app/2.0/app.tgz", 100)) == ["dist/lib.tgz", "dist0"]
    assert paths(page("files", "", "a.txt", 2)) == ["dist-x/y", "dist/app/1.0/app.tgz"]


def test_deleting_a_folder_deletes_and_returns_every_file_in_it(meta: MetadataStore) -> None:
    for path in TREE:
        put(meta, path, qa=["passed"])
    gone = meta.generic.delete("files", "dist")
    assert paths(gone) == ["dist/app/1.0/app.tgz", "dist/app/2.0/app.tgz", "dist/lib.tgz"]
    assert paths(meta.generic.under("files", "")) == ["a.txt", "dist-x/y", "dist0"]
    assert meta.properties.get("files", "file:dist/lib.tgz") == {}
    assert meta.properties.get("files", "file:dist0") == {"qa": ["passed"]}
    assert paths(meta.generic.delete("files", "dist0")) == ["dist0"]
    assert meta.generic.delete("files", "dist0") == []
    assert paths(meta.generic.delete("files", "")) == ["a.txt", "dist-x/y"]
    assert meta.generic.under("files", "") == []


# --- promotion -----------------------------------------------------------------------------


def record(promotion_id: str, *, dry_run: bool = False) -> PromotionRecord:
    return PromotionRecord(
        promotion_id,
        300.0,
        "alice",
        None,
        "generic",
        "files",
        "release",
        "dist",
        "dist",
        None,
        (),
        True,
        dry_run,
        "",
        {},
        200,
        "dry-run" if dry_run else "promoted",
        "",
    )


def promotions(meta: MetadataStore) -> list[str]:
    found = meta.promotions.page(
        digest=None, image=None, repository=None, readable=["files"], before=None, limit=10
    )
    return [r.id for r in found]


def transfer(
    meta: MetadataStore,
    moves: list[tuple[GenericFileRecord, str]],
    *,
    move: bool = False,
    may_overwrite: bool = False,
    dry_run: bool = False,
    records: tuple[PromotionRecord, ...] = (),
) -> list[Transfer]:
    return meta.promotions.transfer_files(
        moves,
        "release",
        move=move,
        may_overwrite=may_overwrite,
        by="bob",
        now=300.0,
        properties={"stage": ["release"]},
        records=list(records),
        dry_run=dry_run,
    )


def test_a_copy_carries_the_properties_and_adds_the_promotions(meta: MetadataStore) -> None:
    app = put(meta, "dist/app.tgz", "app", qa=["passed"])
    done = transfer(meta, [(app, "v1/app.tgz")], records=(record("p1"),))
    copied = file("release", "v1/app.tgz", "app", at=300.0, by="bob")
    assert done == [Transfer(app, copied, None)]
    assert meta.generic.get("release", "v1/app.tgz") == copied
    assert meta.generic.get("files", "dist/app.tgz") == app
    assert meta.properties.get("release", "file:v1/app.tgz") == {
        "qa": ["passed"],
        "stage": ["release"],
    }
    assert promotions(meta) == ["p1"]


def test_a_move_leaves_nothing_behind(meta: MetadataStore) -> None:
    app = put(meta, "dist/app.tgz", "app", qa=["passed"])
    transfer(meta, [(app, "dist/app.tgz")], move=True)
    assert meta.generic.get("files", "dist/app.tgz") is None
    assert meta.properties.get("files", "file:dist/app.tgz") == {}
    assert meta.properties.get("release", "file:dist/app.tgz") == {
        "qa": ["passed"],
        "stage": ["release"],
    }


def test_an_identical_file_at_the_target_stays_as_it_is(meta: MetadataStore) -> None:
    app = put(meta, "app.tgz", "app")
    there = file("release", "app.tgz", "app", at=50.0, by="carol")
    meta.generic.put(there, {}, may_overwrite=False)
    assert transfer(meta, [(app, "app.tgz")]) == [Transfer(app, there, None)]
    assert meta.generic.get("release", "app.tgz") == there


def test_a_transfer_is_all_or_nothing(meta: MetadataStore) -> None:
    first = put(meta, "a.tgz", "a", qa=["passed"])
    second = put(meta, "b.tgz", "b")
    taken = file("release", "b.tgz", "other")
    meta.generic.put(taken, {"keep": ["me"]}, may_overwrite=False)
    with pytest.raises(Denied):
        transfer(meta, [(first, "a.tgz"), (second, "b.tgz")], move=True, records=(record("p"),))
    assert meta.generic.get("files", "a.tgz") == first
    assert meta.generic.get("release", "a.tgz") is None
    assert meta.generic.get("release", "b.tgz") == taken
    assert meta.properties.get("files", "file:a.tgz") == {"qa": ["passed"]}
    assert meta.properties.get("release", "file:b.tgz") == {"keep": ["me"]}
    assert promotions(meta) == []
    # With the right to overwrite, both go, and the replaced file is reported.
    done = transfer(meta, [(first, "a.tgz"), (second, "b.tgz")], may_overwrite=True)
    assert [(t.target.path, t.replaced) for t in done] == [("a.tgz", None), ("b.tgz", taken)]
    assert meta.properties.get("release", "file:b.tgz") == {"stage": ["release"]}


def test_a_source_that_changed_fails_the_transfer(meta: MetadataStore) -> None:
    first = put(meta, "a.tgz", "a")
    stale = put(meta, "b.tgz", "b")
    meta.generic.put(file("files", "b.tgz", "b2"), {}, may_overwrite=True)
    with pytest.raises(Conflict):
        transfer(meta, [(first, "a.tgz"), (stale, "b.tgz")])
    assert meta.generic.under("release", "") == []


def test_a_dry_run_changes_nothing_but_records_itself(meta: MetadataStore) -> None:
    app = put(meta, "dist/app.tgz", "app", qa=["passed"])
    done = transfer(
        meta, [(app, "app.tgz")], move=True, dry_run=True, records=(record("p", dry_run=True),)
    )
    assert [(t.source, t.target.path, t.replaced) for t in done] == [(app, "app.tgz", None)]
    assert meta.generic.get("files", "dist/app.tgz") == app
    assert meta.generic.get("release", "app.tgz") is None
    assert meta.properties.get("files", "file:dist/app.tgz") == {"qa": ["passed"]}
    assert meta.properties.get("release", "file:app.tgz") == {}
    assert promotions(meta) == ["p"]
    # A dry run that would fail fails as the real one would.
    meta.generic.put(file("release", "app.tgz", "other"), {}, may_overwrite=False)
    with pytest.raises(Denied):
        transfer(meta, [(app, "app.tgz")], dry_run=True)


def put_at_once(stores: list[MetadataStore], records: list[GenericFileRecord]) -> list[str | None]:
    """Each store puts its file at the same moment, without the right to overwrite: the
    error each one got, if any."""
    ready = threading.Barrier(len(stores))
    errors: list[str | None] = [None] * len(stores)

    def put(i: int) -> None:
        ready.wait()
        try:
            stores[i].generic.put(records[i], {}, may_overwrite=False)
        except (Conflict, Denied) as exc:
            errors[i] = type(exc).__name__

    threads = [threading.Thread(target=put, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_of_two_racing_writes_that_exclude_each_other_one_wins(
    meta: MetadataStore, meta_url: str
) -> None:
    other = open_metadata_store(meta_url, run_migrations=False)  # another worker process
    try:
        for round in range(5):
            same_path = [file("files", f"{round}.txt", who) for who in ("a", "b")]
            errors = put_at_once([meta, other], same_path)
            assert sorted(errors, key=str) == ["Denied", None]
            winner = same_path[errors.index(None)]
            assert meta.generic.get("files", f"{round}.txt") == winner
            file_and_folder = [file("files", f"d{round}"), file("files", f"d{round}/x")]
            errors = put_at_once([meta, other], file_and_folder)
            assert sorted(errors, key=str) == ["Conflict", None]
            assert paths(meta.generic.under("files", f"d{round}")) == [
                file_and_folder[errors.index(None)].path
            ]
    finally:
        other.close()

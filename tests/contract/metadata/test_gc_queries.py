"""The collector's pages of blobs nothing holds start where the last one ended, in digest
order; and the statements that touch or mark blobs by digest read those rows only, however
many blobs the instance has (SQLite, without statistics, once read them all)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from cargohold.meta.gc.holders import require
from cargohold.meta.schema import blobs
from cargohold.meta.store import MetadataStore, open_metadata_store

CUTOFF = 1000.0


def digest(number: int) -> str:
    return f"sha256:{number:064x}"


def add_blobs(meta: MetadataStore, count: int, touched: float) -> None:
    rows = [
        {"digest": digest(n), "size": n, "created_at": 1.0, "touched_at": touched}
        for n in range(count)
    ]
    with meta.engine.begin() as connection:
        connection.execute(blobs.insert(), rows)


def test_pages_of_unheld_blobs_follow_each_other_in_digest_order(meta: MetadataStore) -> None:
    add_blobs(meta, 7, touched=10.0)
    seen: list[str] = []
    after = ""
    while page := meta.gc.collectable(CUTOFF, after, 3):
        seen += [blob.digest for blob in page]
        after = page[-1].digest
    assert seen == [digest(n) for n in range(7)]
    assert meta.gc.collectable(5.0, "", 3) == []  # touched after that cutoff


@pytest.fixture
def sqlite_meta(sqlite_template: Path, tmp_path: Path) -> MetadataStore:
    path = tmp_path / "meta.db"
    shutil.copyfile(sqlite_template, path)
    os.chmod(path, 0o600)
    return open_metadata_store(f"sqlite:///{path}")


def test_sqlite_reads_blobs_by_digest_to_page_mark_and_require_them(
    sqlite_meta: MetadataStore,
) -> None:
    # Without statistics (cargohold never runs ANALYZE) SQLite took the index on
    # deleting_since for its IS NULL as soon as a statement named four digests, and read
    # every blob: on 200,000 blobs 50 ms for each manifest pushed (in the transaction that
    # holds the write lock), and 28 s of a collection finding and marking 40 pages.
    add_blobs(sqlite_meta, 600, touched=10.0)
    sent: list[tuple[str, object]] = []

    def record(
        conn: object, cursor: object, statement: str, parameters: object, *_: object
    ) -> None:
        if statement.lstrip().startswith(("SELECT blobs.digest", "UPDATE blobs")):
            sent.append((statement, parameters))

    sa.event.listen(sqlite_meta.engine, "before_cursor_execute", record)
    try:
        page = [blob.digest for blob in sqlite_meta.gc.collectable(CUTOFF, digest(0), 500)]
        assert page == [digest(n) for n in range(1, 501)]
        marked = sqlite_meta.gc.mark(page, CUTOFF, 2000.0)
        assert [blob.digest for blob in marked] == page
        layers = [digest(n) for n in range(590, 600)]  # a manifest's config and layers
        with sqlite_meta.engine.begin() as connection:
            assert require(connection, [*layers, digest(1)], 3000.0) == [digest(1)]
    finally:
        sa.event.remove(sqlite_meta.engine, "before_cursor_execute", record)
    with sqlite_meta.engine.connect() as connection:
        plans = [
            [row[3] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", values)]  # type: ignore[arg-type]
            for sql, values in sent
        ]
    sqlite_meta.close()
    assert len(plans) == 3, sent
    for plan in plans:
        assert not [step for step in plan if "TEMP B-TREE" in step], plan
    assert plans[0][0].startswith("SEARCH blobs USING INDEX sqlite_autoindex_blobs_1 (digest>?)")
    for plan in plans[1:]:
        assert plan[0].startswith("SEARCH blobs USING INDEX sqlite_autoindex_blobs_1 (digest=?)")

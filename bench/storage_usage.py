"""What quotas and the storage report cost on a database with many blob links.

Fills a fresh database with ``--links`` blob links (``--repositories`` repositories of
``--images`` images each; every image links a few base layers shared by all and layers of its
own, so repositories and images share blobs as real ones do), then times, over ``--rounds``:
the whole storage report (usage by repository and by image, stored bytes), the usage of one
repository (what a quota check reads), the quota check of a new blob, and the instance's
stored bytes. Then again without the indexes by repository and digest, to show what they buy.

    .venv/bin/python -m bench.storage_usage                       # SQLite, 100,000 links
    .venv/bin/python -m bench.storage_usage --database postgresql  # a PostgreSQL of its own
    .venv/bin/python -m bench.storage_usage --links 1000000

Prints a markdown table of milliseconds (median and worst of the rounds); never asserts.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from cargohold.meta.quotas.limits import QuotaQueries
from cargohold.meta.schema import blob_links, blobs, repositories
from cargohold.meta.store import MetadataStore, open_metadata_store

BASE_LAYERS = 5  # shared by every image of every repository
INDEXES = (
    ("ix_blob_links_repository_digest", "blob_links"),
    ("ix_generic_files_repository_digest", "generic_files"),
)


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def fill(meta: MetadataStore, links: int, repository_count: int, images: int) -> int:
    """Insert the repositories, blobs and links; the number of distinct blobs."""
    per_image = max(BASE_LAYERS + 1, links // (repository_count * images))
    now = time.time()
    keys = [f"repo{r:03d}" for r in range(repository_count)]
    blob_rows: dict[str, int] = {}
    link_rows: list[dict[str, object]] = []
    for key in keys:
        for i in range(images):
            for layer in range(per_image):
                # base layers are everyone's; a repository's images share half their own
                if layer < BASE_LAYERS:
                    name = f"base{layer}"
                elif layer % 2:
                    name = f"{key}-shared{layer}"
                else:
                    name = f"{key}-{i}-{layer}"
                blob = digest(name)
                blob_rows[blob] = 1_000_000 + len(blob_rows)
                link_rows.append(
                    {"repository": key, "name": f"team/app{i}", "digest": blob, "created_at": now}
                )
    with meta.engine.begin() as connection:
        connection.execute(
            repositories.insert(),
            [
                {
                    "key": k,
                    "format": "docker",
                    "kind": "local",
                    "anonymous_read": False,
                    "description": "",
                    "created_at": now,
                    "immutable_tags": False,
                    "quota_bytes": 10**15,
                }
                for k in keys
            ],
        )
        connection.execute(
            blobs.insert(),
            [{"digest": d, "size": s, "created_at": now} for d, s in blob_rows.items()],
        )
        for start in range(0, len(link_rows), 10_000):
            connection.execute(blob_links.insert(), link_rows[start : start + 10_000])
    if meta.engine.dialect.name == "postgresql":
        with meta.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("ANALYZE")
    else:
        with meta.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    return len(blob_rows)


def timed(call: Callable[[], object], rounds: int) -> tuple[float, float]:
    call()  # warm the caches
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) * 1000, max(seconds) * 1000


def measure(meta: MetadataStore, rounds: int) -> dict[str, tuple[float, float]]:
    quotas = QuotaQueries(meta.engine, instance_bytes=10**15)
    new_blob = digest("not stored yet")

    def check() -> None:
        with meta.engine.begin() as connection:
            quotas.enforce(connection, "repo000", new_blob, 1000)

    return {
        "storage report (GET /api/v1/storage)": timed(meta.quotas.report, rounds),
        "usage of every repository (repo list)": timed(meta.quotas.usage_by_repository, rounds),
        "usage of one repository": timed(lambda: meta.quotas.usage("repo000"), rounds),
        "quota check of a new blob (repository + instance)": timed(check, rounds),
    }


@contextmanager
def database(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'bench.db'}"
        return
    from tests.postgres import PostgresServer

    server = PostgresServer.start()
    try:
        yield server.empty_database()
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--links", type=int, default=100_000)
    parser.add_argument("--repositories", type=int, default=20)
    parser.add_argument("--images", type=int, default=250)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database(args.database, Path(tmp)) as url:
        meta = open_metadata_store(url)
        try:
            started = time.perf_counter()
            distinct = fill(meta, args.links, args.repositories, args.images)
            with meta.engine.connect() as connection:
                count = connection.execute(sa.select(sa.func.count()).select_from(blob_links))
                total = count.scalar()
            print(
                f"{args.database}: {total} blob links, {distinct} distinct blobs, "
                f"{args.repositories} repositories x {args.images} images "
                f"(filled in {time.perf_counter() - started:.1f} s)\n"
            )
            indexed = measure(meta, args.rounds)
            with meta.engine.begin() as connection:
                for index, _table in INDEXES:
                    connection.exec_driver_sql(f"DROP INDEX {index}")
            plain = measure(meta, args.rounds)
        finally:
            meta.close()
    print("| ms (median / worst) | with the indexes | without |")
    print("|---|---:|---:|")
    for what, (median, worst) in indexed.items():
        other = plain[what]
        print(f"| {what} | {median:.1f} / {worst:.1f} | {other[0]:.1f} / {other[1]:.1f} |")


if __name__ == "__main__":
    main()

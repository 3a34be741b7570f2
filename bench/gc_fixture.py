"""The instance the garbage-collection benchmark collects, written straight into a migrated
database and the filesystem store's layout (no HTTP: 100,000 images would take hours).

Every image is an OCI manifest (its body a blob, as a pushed one is) with a config, layers
of its own and two base layers shared by many images; an image promoted to other
repositories is the same manifest under the same name there (a manifest row, tag, references
and links each, one body). The garbage is what deleted images leave: their bodies, configs
and layers, held by nothing and released days ago, their links still there. Every blob was
last touched (pushed or released) well before the grace period, and its file's modification
time says so, so the collector checks every live blob and every file as it would on an old
instance. Contents are small random bytes (layers) or JSON (configs, manifests) whose
SHA-256 is their digest, so a pull of any held image verifies.

Writes are SQLAlchemy Core through the real schema, in one transaction; no fsync.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from cargohold.meta.schema import (
    blob_links,
    blobs,
    manifest_refs,
    manifests,
    repositories,
    tags,
)

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REPOSITORIES = 10  # team00 ... team09; an image lives in one and may be promoted to others
VERSIONS = 10  # tags per image name
BASE_LAYERS = 50  # shared base layers, at most (a twentieth of the live blobs on a small run)
BASES_PER_IMAGE = 2
LAYER_BYTES = (512, 3072)  # random size of a layer, bytes
ROWS_PER_STATEMENT = 5_000
DAY = 86_400.0
PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


@dataclass(frozen=True, slots=True)
class Blob:
    digest: str
    size: int


@dataclass(slots=True)
class Fixture:
    """What was written, for the checks after the collection."""

    live: set[str] = field(default_factory=set)  # digests a manifest holds
    garbage: set[str] = field(default_factory=set)  # held by nothing, released long ago
    garbage_bytes: int = 0
    manifests: int = 0  # manifest rows (an image in each repository it is in)
    images: list[tuple[str, str]] = field(default_factory=list)  # (repository/name, tag)
    rows: int = 0  # rows inserted, every table

    @property
    def blobs(self) -> int:
        return len(self.live) + len(self.garbage)


class _Writer:
    """Blob files in the store's layout and the rows to insert, table by table."""

    def __init__(self, connection: sa.Connection, storage: Path, seed: int) -> None:
        self._connection = connection
        self._root = storage / "blobs" / "sha256"
        self._random = random.Random(seed)
        # in the order of the foreign keys: a flush writes a manifest before its references
        self.rows: dict[sa.Table, list[dict[str, object]]] = {
            table: [] for table in (blobs, blob_links, manifests, manifest_refs, tags)
        }
        self.inserted = 0
        self._linked: set[tuple[str, str, str]] = set()  # an image's versions share bases
        for prefix in range(256):
            (self._root / f"{prefix:02x}").mkdir(
                parents=True, exist_ok=True, mode=PRIVATE_DIRECTORY
            )

    def blob(self, content: bytes, created: float, touched: float) -> Blob:
        hexdigest = hashlib.sha256(content).hexdigest()
        path = self._root / hexdigest[:2] / hexdigest
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        try:
            os.write(descriptor, content)
        finally:
            os.close(descriptor)
        os.utime(path, (created, created))
        digest = f"sha256:{hexdigest}"
        self.rows[blobs].append(
            {
                "digest": digest,
                "size": len(content),
                "created_at": created,
                "touched_at": touched,
                "deleting_since": None,
            }
        )
        return Blob(digest, len(content))

    def layer(self, created: float, touched: float) -> Blob:
        size = self._random.randint(*LAYER_BYTES)
        return self.blob(self._random.randbytes(size), created, touched)

    def config(self, label: str, created: float, touched: float) -> Blob:
        document = {
            "architecture": "amd64",
            "os": "linux",
            "config": {"Labels": {"build": label, "nonce": self._random.getrandbits(64)}},
            "rootfs": {"type": "layers", "diff_ids": []},
        }
        return self.blob(_json(document), created, touched)

    def manifest(self, config: Blob, layers: list[Blob], created: float, touched: float) -> Blob:
        document = {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": {"mediaType": CONFIG, "digest": config.digest, "size": config.size},
            "layers": [
                {"mediaType": LAYER, "digest": layer.digest, "size": layer.size} for layer in layers
            ],
        }
        return self.blob(_json(document), created, touched)

    def image(
        self,
        repository: str,
        name: str,
        tag: str | None,
        body: Blob,
        children: list[Blob],
        created: float,
    ) -> None:
        """The rows of a manifest in one repository: the manifest, its references, its tag
        and the links of its config and layers (as a push or a promotion writes them)."""
        where = {"repository": repository, "name": name}
        for child in children:
            if (repository, name, child.digest) not in self._linked:
                self._linked.add((repository, name, child.digest))
                self.rows[blob_links].append(
                    {**where, "digest": child.digest, "created_at": created}
                )
        if tag is None:  # deleted: its links stay, nothing else
            return
        self.rows[manifests].append(
            {
                **where,
                "digest": body.digest,
                "media_type": MANIFEST,
                "size": body.size,
                "artifact_type": CONFIG,
                "subject": None,
                "annotations": "{}",
                "created_at": created,
            }
        )
        self.rows[manifest_refs].extend(
            {**where, "digest": body.digest, "child": child.digest} for child in children
        )
        self.rows[tags].append({**where, "tag": tag, "digest": body.digest, "updated_at": created})

    def flush(self, at_least: int = 0) -> None:
        """Insert the rows gathered, if there are ``at_least`` of some table."""
        if max(len(rows) for rows in self.rows.values()) < at_least:
            return
        for table, rows in self.rows.items():
            if rows:
                self._connection.execute(table.insert(), rows)
                self.inserted += len(rows)
                rows.clear()


def _json(document: object) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def _spread(total: int, parts: int) -> Iterator[int]:
    """``total`` in ``parts`` as even as can be, the larger first."""
    for index in range(parts):
        yield total // parts + (index < total % parts)


def build(
    engine: sa.Engine,
    storage: Path,
    manifest_count: int,
    blob_count: int,
    garbage: float,
    seed: int = 13,
) -> Fixture:
    """Write an instance of ``manifest_count`` manifest rows and ``blob_count`` blobs (rows
    and files), ``garbage`` of which no manifest holds."""
    now = time.time()
    with engine.begin() as connection:
        connection.execute(repositories.insert(), _repositories(now))
        writer = _Writer(connection, storage, seed)
        fixture = _write(writer, now, manifest_count, blob_count, garbage)
        writer.flush()
    fixture.rows = writer.inserted + REPOSITORIES
    if engine.dialect.name == "postgresql":
        # What autovacuum would have done by now on a real server (the benchmark's own
        # server runs without it); cargohold never runs ANALYZE on SQLite, so neither do we.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    return fixture


def _write(
    writer: _Writer, now: float, manifest_count: int, blob_count: int, garbage: float
) -> Fixture:
    fixture = Fixture()
    dead_blobs = round(garbage * blob_count)
    live_blobs = blob_count - dead_blobs
    bases = max(1, min(BASE_LAYERS, live_blobs // 20))
    # A distinct image is a body, a config and at least one layer of its own; there are as
    # many as the live blobs allow, at most one per manifest row, and each is in as many
    # repositories as makes the manifest rows (promotions).
    distinct = min(manifest_count, (live_blobs - bases) // 3)
    if distinct < 1 or manifest_count > distinct * REPOSITORIES:
        raise ValueError(
            f"{manifest_count} manifests do not fit {live_blobs} live blobs: each image needs "
            f"3 blobs of its own and is in at most {REPOSITORIES} repositories"
        )
    own_layers = live_blobs - bases - 2 * distinct
    oldest = now - 90 * DAY  # the live images were pushed over the last 90 days
    step = (90 * DAY - 2 * 3600) / distinct
    base = [writer.layer(oldest, oldest) for _ in range(bases)]
    copies = _spread(manifest_count, distinct)
    layers = _spread(own_layers, distinct)
    for index, (copy_count, layer_count) in enumerate(zip(copies, layers, strict=True)):
        pushed = oldest + index * step
        children = [writer.config(f"app-{index}", pushed, pushed)]
        own = [writer.layer(pushed, pushed) for _ in range(layer_count)]
        shared = [base[(index * 7 + k * 13) % bases] for k in range(BASES_PER_IMAGE)]
        layer_list = list(dict.fromkeys(shared + own))
        children += layer_list
        body = writer.manifest(children[0], layer_list, pushed, pushed)
        family = index // VERSIONS
        name, tag = f"team/app-{family:05d}", f"1.{index % VERSIONS}.0"
        for copy in range(copy_count):
            repository = f"team{(family + copy) % REPOSITORIES:02d}"
            writer.image(repository, name, tag, body, children, pushed + copy * 3600)
            fixture.images.append((f"{repository}/{name}", tag))
        fixture.manifests += copy_count
        fixture.live.update(blob.digest for blob in (body, *children))
        writer.flush(ROWS_PER_STATEMENT)
    # Deleted images: a body, a config and a layer or more each, pushed months ago and
    # released (deleted) one to seven days ago.
    deleted = max(1, dead_blobs // 3) if dead_blobs else 0
    for index, blob_total in enumerate(_spread(dead_blobs, deleted)):
        pushed = now - (100 + index % 200) * DAY
        released = now - (1 + index % 7) * DAY
        config = writer.config(f"old-{index}", pushed, released)
        own = [writer.layer(pushed, released) for _ in range(max(0, blob_total - 2))]
        dead = [writer.manifest(config, own, pushed, released), config, *own][:blob_total]
        repository = f"team{index % REPOSITORIES:02d}"
        writer.image(
            repository, f"team/old-{index // VERSIONS:05d}", None, dead[0], dead[1:], pushed
        )
        fixture.garbage.update(blob.digest for blob in dead)
        fixture.garbage_bytes += sum(blob.size for blob in dead)
        writer.flush(ROWS_PER_STATEMENT)
    return fixture


def _repositories(now: float) -> list[dict[str, object]]:
    return [
        {
            "key": f"team{index:02d}",
            "format": "docker",
            "kind": "local",
            "anonymous_read": False,
            "description": "",
            "created_at": now - 120 * DAY,
            "immutable_tags": False,
            "quota_bytes": None,
        }
        for index in range(REPOSITORIES)
    ]


def stored_digests(storage: Path) -> set[str]:
    """Every blob file in the store, as digests."""
    root = storage / "blobs" / "sha256"
    return {f"sha256:{path.name}" for path in root.glob("*/*") if path.is_file()}


__all__ = ["Fixture", "build", "stored_digests"]

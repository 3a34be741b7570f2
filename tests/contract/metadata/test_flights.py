"""One upstream request per object, whatever the crowd: every metadata backend, a filesystem
blob store, and an "upstream" that is the download a caller hands over (``pulling.py``)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from cargohold.core.digest import Digest
from cargohold.core.errors import BlobUnknown, UpstreamUnavailable
from cargohold.meta.store import MetadataStore, open_metadata_store
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.remote.flight import Download, Flights, Incoming
from cargohold.storage import FilesystemBlobStore
from tests.contract.metadata.examples import repository
from tests.contract.metadata.pulling import (
    PIECE,
    Upstream,
    content,
    linker,
    pull,
    pull_in_child,
    until,
)

pytestmark = pytest.mark.anyio

SIZE = 8 * PIECE + 123


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def store(tmp_path: Path) -> FilesystemBlobStore:
    return FilesystemBlobStore(tmp_path / "data" / "blobs")


@pytest.fixture
async def flights(
    meta: MetadataStore, store: FilesystemBlobStore, tmp_path: Path
) -> AsyncIterator[Flights]:
    repository(meta, "hub")
    flights = Flights(
        meta, store, BlobClaims(store, meta, time.time), tmp_path / "spool", time.time, "here"
    )
    yield flights
    await flights.aclose()


def key(digest: Digest) -> str:
    return f"blob:{digest}"


async def read(incoming: Incoming | None) -> bytes:
    assert incoming is not None
    return b"".join([chunk async for chunk in incoming.chunks()])


def nothing_left(meta: MetadataStore, digest: Digest, tmp_path: Path) -> None:
    assert meta.fetches.get(key(digest)) is None
    assert list((tmp_path / "spool").glob("*")) == []


async def test_a_crowd_causes_one_download_and_each_reader_gets_bytes_as_they_arrive(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights, tmp_path: Path
) -> None:
    data = content(SIZE)
    digest = Digest.of(data)
    release = asyncio.Event()
    upstream = Upstream(data, hold=release.wait)
    sizes: list[int] = []
    stored = linker(meta, digest, sizes)

    crowd = await asyncio.gather(
        *[flights.blob(key(digest), digest, upstream.open, stored) for _ in range(50)]
    )
    assert all(incoming is not None and incoming.size == SIZE for incoming in crowd)
    # The first piece is in, the download held: a reader has bytes already.
    first = crowd[0]
    assert first is not None
    head = await asyncio.wait_for(anext(first.chunks()), 5)
    assert data.startswith(head) and head and not upstream.finished
    release.set()
    received = await asyncio.gather(*[read(incoming) for incoming in crowd])

    assert received == [data] * 50
    assert upstream.opened == [0]
    assert sizes == [SIZE]
    assert await store.size(digest) == SIZE
    assert meta.blobs.linked_size("hub", "library/alpine", str(digest)) == SIZE
    nothing_left(meta, digest, tmp_path)
    # Stored now: the next request reads it from the store.
    assert await flights.blob(key(digest), digest, upstream.open, stored) is None
    assert upstream.opened == [0]


async def test_ranges_of_a_blob_on_its_way_in(meta: MetadataStore, flights: Flights) -> None:
    data = content(SIZE)
    digest = Digest.of(data)
    release = asyncio.Event()
    upstream = Upstream(data, hold=release.wait, size_known=False)
    incoming = await flights.blob(key(digest), digest, upstream.open, linker(meta, digest, []))
    assert incoming is not None and incoming.size is None  # the upstream did not say
    middle = asyncio.ensure_future(_join(incoming.chunks(3 * PIECE + 5, 1000)))
    release.set()
    assert await middle == data[3 * PIECE + 5 : 3 * PIECE + 1005]
    assert await read(incoming) == data
    assert await incoming.stored() == SIZE
    assert await _join(incoming.chunks(SIZE - 10)) == data[-10:]  # after the end: the store


async def _join(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def test_a_cut_download_is_resumed_from_where_it_stopped(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights, tmp_path: Path
) -> None:
    data = content(SIZE)
    digest = Digest.of(data)
    upstream = Upstream(data, cuts=(3 * PIECE,))
    incoming = await flights.blob(key(digest), digest, upstream.open, linker(meta, digest, []))
    assert await read(incoming) == data
    assert upstream.opened == [0, 3 * PIECE]
    assert await store.size(digest) == SIZE
    nothing_left(meta, digest, tmp_path)


async def test_an_upstream_that_starts_over_is_read_again_from_byte_zero(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights
) -> None:
    data = content(SIZE)
    digest = Digest.of(data)
    upstream = Upstream(data, cuts=(3 * PIECE, 5 * PIECE), ranges=False)
    incoming = await flights.blob(key(digest), digest, upstream.open, linker(meta, digest, []))
    assert await read(incoming) == data
    assert upstream.opened == [0, 3 * PIECE, 5 * PIECE]  # asked to resume, answered from 0
    assert await store.size(digest) == SIZE


async def test_a_download_cut_every_time_stores_nothing_and_the_next_request_starts_over(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights, tmp_path: Path
) -> None:
    data = content(SIZE)
    digest = Digest.of(data)
    broken = Upstream(data, cuts=(3 * PIECE, 3 * PIECE, 3 * PIECE), ranges=False)
    sizes: list[int] = []
    incoming = await flights.blob(key(digest), digest, broken.open, linker(meta, digest, sizes))
    with pytest.raises(UpstreamUnavailable, match="cut 3 times"):
        await read(incoming)
    assert len(broken.opened) == 3
    assert await store.size(digest) is None and sizes == []
    assert [u async for u in store.list_uploads()] == []
    nothing_left(meta, digest, tmp_path)

    working = Upstream(data)
    again = await flights.blob(key(digest), digest, working.open, linker(meta, digest, sizes))
    assert await read(again) == data
    assert working.opened == [0] and sizes == [SIZE]


async def test_content_that_does_not_match_its_digest_is_not_stored(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights, tmp_path: Path
) -> None:
    data = content(SIZE)
    claimed = Digest.of(b"something else")
    readers = await asyncio.gather(
        *[
            flights.blob(key(claimed), claimed, Upstream(data).open, linker(meta, claimed, []))
            for _ in range(3)
        ]
    )
    for incoming in readers:
        with pytest.raises(UpstreamUnavailable, match="does not match digest"):
            await read(incoming)
    assert await store.size(claimed) is None
    nothing_left(meta, claimed, tmp_path)


async def test_the_upstreams_answer_to_the_first_request_reaches_every_caller(
    meta: MetadataStore, flights: Flights, tmp_path: Path
) -> None:
    digest = Digest.of(b"missing")
    opened: list[int] = []

    @asynccontextmanager
    async def missing(offset: int) -> AsyncIterator[Download]:
        opened.append(offset)
        raise BlobUnknown(f"blob {digest} is not upstream")
        yield  # an async generator all the same

    calls = [flights.blob(key(digest), digest, missing, linker(meta, digest, [])) for _ in range(5)]
    for outcome in await asyncio.gather(*calls, return_exceptions=True):
        assert isinstance(outcome, BlobUnknown)
    assert opened == [0]  # not asked again: the upstream said it has no such blob
    nothing_left(meta, digest, tmp_path)


async def test_a_fetch_whose_process_died_is_taken_over(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights, tmp_path: Path
) -> None:
    data = content(SIZE)
    digest = Digest.of(data)
    long_ago = time.time() - 100
    # A process killed while fetching: its row, no longer beaten, and its spool file.
    dead_spool = tmp_path / "spool" / "0123456789abcdef0123456789abcdef.part"
    dead_spool.parent.mkdir()
    dead_spool.write_bytes(data[:1000])
    os.utime(dead_spool, (long_ago, long_ago))
    orphan = tmp_path / "spool" / "00000000000000000000000000000000.part"  # no row names it
    orphan.write_bytes(b"x")
    os.utime(orphan, (long_ago, long_ago))
    assert meta.fetches.lead(key(digest), "killed", str(dead_spool), long_ago, long_ago - 15).won
    assert not meta.fetches.lead(key(digest), "other", None, time.time(), long_ago - 15).won

    upstream = Upstream(data)
    incoming = await flights.blob(key(digest), digest, upstream.open, linker(meta, digest, []))
    assert await read(incoming) == data
    assert upstream.opened == [0]
    assert await store.size(digest) == SIZE
    await until(lambda: not orphan.exists())  # swept once the process started
    assert not dead_spool.exists()  # removed by the one that took over
    nothing_left(meta, digest, tmp_path)


async def test_another_process_on_the_machine_reads_the_spool_while_it_grows(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights, tmp_path: Path
) -> None:
    data = content(SIZE)
    digest = Digest.of(data)
    release = asyncio.Event()
    upstream = Upstream(data, hold=release.wait)
    other = Flights(
        meta, store, BlobClaims(store, meta, time.time), tmp_path / "spool", time.time, "other"
    )
    try:
        leading = await flights.blob(key(digest), digest, upstream.open, linker(meta, digest, []))
        following = await other.blob(key(digest), digest, upstream.open, linker(meta, digest, []))
        assert leading is not None and following is not None
        head = await asyncio.wait_for(anext(following.chunks()), 5)
        assert data.startswith(head) and head and not upstream.finished
        release.set()
        assert await read(following) == data
        assert await following.stored() == SIZE
        assert upstream.opened == [0]
    finally:
        await other.aclose()


async def test_a_process_following_a_fetch_knows_the_size_before_its_first_bytes(
    meta: MetadataStore, flights: Flights, tmp_path: Path
) -> None:
    """What a client is told as Content-Length: the size the fetching process recorded
    before it wrote a byte, even when the follower sees bytes before it looks at the row."""
    data = content(SIZE)
    digest = Digest.of(data)
    spool = tmp_path / "spool" / "elsewhere.part"
    spool.parent.mkdir(parents=True, exist_ok=True)
    spool.write_bytes(b"")
    assert meta.fetches.lead(key(digest), "elsewhere", str(spool), time.time(), 0).won
    asking = asyncio.ensure_future(
        flights.blob(key(digest), digest, Upstream(data).open, linker(meta, digest, []))
    )
    await asyncio.sleep(0.05)  # following: the row says no size yet, the spool is empty
    assert not asking.done()
    meta.fetches.set_size(key(digest), "elsewhere", SIZE)
    spool.write_bytes(data[:PIECE])
    incoming = await asyncio.wait_for(asking, 5)
    assert incoming is not None and incoming.size == SIZE
    meta.fetches.release(key(digest), "elsewhere")


async def test_a_process_asking_while_the_fetch_is_being_kept_finds_it_kept(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights, tmp_path: Path
) -> None:
    """The blob is stored, its fetch's ``stored`` (linking it into the repository) still
    running: another process follows the fetch to its end instead of taking the blob for
    some other repository's (which would have it ask the upstream again)."""
    data = content(SIZE)
    digest = Digest.of(data)
    keeping = asyncio.Event()
    linked: list[int] = []
    link = linker(meta, digest, linked)

    async def slow_link(size: int) -> None:
        await keeping.wait()
        await link(size)

    other = Flights(
        meta, store, BlobClaims(store, meta, time.time), tmp_path / "spool", time.time, "other"
    )
    upstream = Upstream(data)
    try:
        leading = await flights.blob(key(digest), digest, upstream.open, slow_link)
        assert leading is not None
        await until(lambda: store.local_path(digest) is not None)
        following = await other.blob(key(digest), digest, upstream.open, link)
        assert following is not None  # not "stored already": the fetch is followed
        waiting = asyncio.ensure_future(following.stored())
        await asyncio.sleep(0.1)
        assert not waiting.done()
        keeping.set()
        assert await asyncio.wait_for(waiting, 5) == SIZE
        assert linked == [SIZE]  # by the fetching process, before the other's answer
        assert upstream.opened == [0]
    finally:
        await other.aclose()


async def test_a_process_of_another_node_reads_the_blob_from_the_store_once_it_is_in(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights
) -> None:
    data = content(SIZE)
    digest = Digest.of(data)
    # A fetch by a process of another node: its spool is on that node's disk.
    assert meta.fetches.lead(
        key(digest), "elsewhere", "/elsewhere/spool/x.part", time.time(), 0
    ).won
    meta.fetches.set_size(key(digest), "elsewhere", SIZE)
    upstream = Upstream(data)
    incoming = await flights.blob(key(digest), digest, upstream.open, linker(meta, digest, []))
    assert incoming is not None and incoming.size == SIZE
    reading = asyncio.ensure_future(read(incoming))
    await asyncio.sleep(0.05)
    assert not reading.done()
    await store.put(digest, data)  # that process stored it, then let its row go
    meta.fetches.release(key(digest), "elsewhere")
    assert await asyncio.wait_for(reading, 5) == data
    assert upstream.opened == []


async def test_processes_asking_at_once_cause_one_download(
    meta: MetadataStore, meta_url: str, store: FilesystemBlobStore, tmp_path: Path
) -> None:
    """Three worker processes: this one and two children, each with its own store on the
    same database and data directory."""
    processes = 3
    data_dir = tmp_path / "data"
    data_dir.mkdir(exist_ok=True)
    # Fresh processes, not copies of this one (its event loop, its connections): forked
    # from a server process that imported cargohold once for every test that needs one.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.contract.metadata.pulling"])
    results = context.Queue()
    children = [
        context.Process(
            target=pull_in_child, args=(meta_url, str(data_dir), n, SIZE, processes, results)
        )
        for n in range(1, processes)
    ]
    for child in children:
        child.start()
    try:
        here = asyncio.ensure_future(pull(meta, data_dir, "process-0", SIZE, processes))
        ready = data_dir / "ready"
        await until(lambda: ready.exists() and ready.stat().st_size >= processes, 30)
        (data_dir / "start").touch()
        outcomes = dict(
            await asyncio.to_thread(lambda: [results.get(timeout=30) for _ in children])
        )
        outcomes[0] = await asyncio.wait_for(here, 30)
    finally:
        for child in children:
            child.join(10)
            if child.is_alive():
                child.kill()
    digest = Digest.of(content(SIZE))
    assert outcomes == dict.fromkeys(range(processes), digest.hex)
    assert (data_dir / "opened").read_bytes() == b"."  # one download in all
    assert await store.size(digest) == SIZE
    assert meta.fetches.get(key(digest)) is None


async def test_once_runs_the_work_once_for_every_caller_of_every_process(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights, tmp_path: Path
) -> None:
    other = Flights(
        meta, store, BlobClaims(store, meta, time.time), tmp_path / "spool", time.time, "other"
    )
    runs: list[str] = []
    release = asyncio.Event()

    async def work() -> None:
        runs.append("ran")
        await release.wait()

    try:
        calls = [
            asyncio.ensure_future((flights if n % 2 else other).once("manifest:x", work, 10))
            for n in range(20)
        ]
        await until(lambda: bool(runs))
        await asyncio.sleep(0.05)
        assert not any(call.done() for call in calls)  # the others wait for the one
        release.set()
        outcomes = await asyncio.gather(*calls)
        assert runs == ["ran"]
        assert sorted(outcomes) == [False] * 19 + [True]
        assert meta.fetches.get("manifest:x") is None
        # The lease of a process that died is taken over; a live one makes callers wait.
        assert meta.fetches.lead("manifest:y", "killed", None, time.time() - 100, 0).won
        assert await flights.once("manifest:y", work, 10)
        assert meta.fetches.lead("manifest:z", "busy", None, time.time(), 0).won
        started = time.monotonic()
        assert not await flights.once("manifest:z", work, 0.2)
        assert 0.2 <= time.monotonic() - started < 2
        assert runs == ["ran", "ran"]
    finally:
        await other.aclose()


async def test_a_server_that_stops_leaves_no_fetch_behind(
    meta: MetadataStore, store: FilesystemBlobStore, tmp_path: Path
) -> None:
    repository(meta, "hub")
    flights = Flights(
        meta, store, BlobClaims(store, meta, time.time), tmp_path / "spool", time.time, "here"
    )
    data = content(SIZE)
    digest = Digest.of(data)
    upstream = Upstream(data, hold=asyncio.Event().wait)  # never sends more than a piece
    incoming = await flights.blob(key(digest), digest, upstream.open, linker(meta, digest, []))
    assert meta.fetches.get(key(digest)) is not None
    reading = asyncio.ensure_future(read(incoming))
    await flights.aclose()
    with pytest.raises(UpstreamUnavailable, match="stopped"):
        await asyncio.wait_for(reading, 5)
    assert await store.size(digest) is None
    nothing_left(meta, digest, tmp_path)


async def test_a_follower_takes_over_a_fetch_whose_process_stopped_beating(
    meta: MetadataStore, store: FilesystemBlobStore, flights: Flights, tmp_path: Path
) -> None:
    data = content(SIZE)
    digest = Digest.of(data)
    spool = tmp_path / "spool" / "fedcba9876543210fedcba9876543210.part"
    spool.parent.mkdir()
    spool.write_bytes(data[:1000])  # what the process got before it hung
    assert meta.fetches.lead(key(digest), "hung", str(spool), time.time(), 0).won
    meta.fetches.set_size(key(digest), "hung", SIZE)
    upstream = Upstream(data)
    incoming = await flights.blob(key(digest), digest, upstream.open, linker(meta, digest, []))
    assert incoming is not None
    head = await asyncio.wait_for(anext(incoming.chunks()), 5)
    assert head == data[:999]  # the last byte of the spool waits for more
    reading = asyncio.ensure_future(read(incoming))
    await asyncio.sleep(0.05)
    assert upstream.opened == []
    meta.fetches.beat("hung", [key(digest)], time.time() - 100)  # it stopped beating long ago
    assert await asyncio.wait_for(reading, 5) == data
    assert upstream.opened == [0]
    assert await store.size(digest) == SIZE
    nothing_left(meta, digest, tmp_path)


def takeovers_at_once(stores: list[MetadataStore], name: str) -> list[object]:
    """Whether each store won the stale lease of ``name`` (or what it raised), all asking
    at the same moment."""
    ready = threading.Barrier(len(stores))
    won: list[object] = [None] * len(stores)

    def take(i: int) -> None:
        ready.wait()
        now = time.time()
        try:
            won[i] = stores[i].fetches.lead(name, f"p{i}", None, now, now - 15).won
        except Exception as exc:  # what a racing loser must not get
            won[i] = exc

    threads = [threading.Thread(target=take, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won


def test_of_processes_racing_to_take_over_a_dead_lease_exactly_one_wins(
    meta: MetadataStore, meta_url: str
) -> None:
    stores = [meta, *(open_metadata_store(meta_url, run_migrations=False) for _ in range(3))]
    try:
        for round in range(5):
            name = f"blob:{round}"
            assert meta.fetches.lead(name, "killed", None, time.time() - 100, 0).won
            won = takeovers_at_once(stores, name)
            assert sorted(won, key=repr) == [False, False, False, True], won
            holder = meta.fetches.get(name)
            assert holder is not None and holder.owner == f"p{won.index(True)}"
    finally:
        for store in stores[1:]:
            store.close()


async def test_a_long_fetch_is_kept_alive_and_a_failed_once_is_tried_again(
    meta: MetadataStore, store: FilesystemBlobStore, tmp_path: Path
) -> None:
    repository(meta, "hub")
    flights = Flights(
        meta,
        store,
        BlobClaims(store, meta, time.time),
        tmp_path / "spool",
        time.time,
        "here",
        beat_seconds=0.05,
    )
    try:
        data = content(SIZE)
        digest = Digest.of(data)
        release = asyncio.Event()
        upstream = Upstream(data, hold=release.wait)
        incoming = await flights.blob(key(digest), digest, upstream.open, linker(meta, digest, []))
        row = meta.fetches.get(key(digest))
        assert row is not None
        await until(lambda: (meta.fetches.get(key(digest)) or row).beat_at > row.beat_at, 2)
        release.set()
        assert await read(incoming) == data

        async def failing() -> None:
            raise UpstreamUnavailable("the upstream is down")

        with pytest.raises(UpstreamUnavailable):
            await flights.once("manifest:x", failing, 1)
        assert meta.fetches.get("manifest:x") is None
        ran: list[bool] = []

        async def working() -> None:
            ran.append(True)

        assert await flights.once("manifest:x", working, 1)
        assert ran == [True]
    finally:
        await flights.aclose()

"""Docker's part of remote repositories: how an image name and a reference map to the
upstream's ``/v2`` URLs, and how what it answers is stored. Fetching once whatever the
crowd, freshness, stale serving, the offline switch, authentication and backoff are the
format-agnostic core's (``registry/remote``).

For Docker Hub, a single-segment name gets the ``library/`` prefix, as docker adds it:
``hub/alpine`` is fetched as ``library/alpine``. A cached image is stored under the name the
client used.

Manifests are cached when asked for (a tag is revalidated with a ``HEAD`` after the
repository's period); blobs when asked for, or, for an image manifest just cached, fetched
in the background at once (so insight can scan the image, and the client's own requests join
those fetches). A blob the store already holds is linked without asking the upstream again
only when a manifest cached from the upstream lists it: knowing a digest is not enough to
read bytes another repository holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Coroutine
from urllib.parse import urlsplit

from anyio import to_thread

from cargohold.core import mediatypes as mt
from cargohold.core.digest import Digest
from cargohold.core.errors import (
    BlobUnknown,
    DigestInvalid,
    ManifestUnknown,
    RegistryError,
    UpstreamUnavailable,
)
from cargohold.core.manifest import MAX_MANIFEST_BYTES, Manifest, parse_manifest
from cargohold.core.names import ImageName, Reference
from cargohold.meta.effects import NO_EFFECTS
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import IMAGE, BlobInfo
from cargohold.records.remote import Check
from cargohold.records.repositories import Remote, RepositoryRecord
from cargohold.registry.consequences import Consequences
from cargohold.registry.oci.blobs import Blobs
from cargohold.registry.oci.manifests import Manifests
from cargohold.registry.remote import accounting
from cargohold.registry.remote.download import Download
from cargohold.registry.remote.flight import Flights, Incoming
from cargohold.registry.remote.freshness import Freshness
from cargohold.registry.remote.upstream import Reply, Upstream

log = logging.getLogger("cargohold.remote")
DOCKER_HUB = frozenset(
    {"registry-1.docker.io", "index.docker.io", "docker.io", "registry.hub.docker.com"}
)
ACCEPT = ", ".join(sorted(mt.MANIFESTS))
PREFETCHES = 4  # blobs of one cached image fetched at once in the background
PREFETCH_RETRIES = (30, 120)  # seconds before fetching a cached image's blobs again


def upstream_image(remote: Remote, image: str) -> str:
    """The image's name at the upstream: Docker Hub's official images live under
    ``library/``, which docker adds to single-segment names."""
    if "/" not in image and urlsplit(remote.upstream).hostname in DOCKER_HUB:
        return f"library/{image}"
    return image


def _offline(repository: RepositoryRecord, what: str) -> str:
    return (
        f"{what} is not cached in remote repository {repository.key!r}, which is offline: "
        f"only cached content is served (`cargohold repo update {repository.key} --online`)"
    )


class RemoteImages:
    def __init__(
        self,
        meta: MetadataStore,
        manifests: Manifests,
        blobs: Blobs,
        upstream: Upstream,
        flights: Flights,
        freshness: Freshness,
        consequences: Consequences,
    ) -> None:
        self._meta = meta
        self._manifests = manifests
        self._blobs = blobs
        self._upstream = upstream
        self._flights = flights
        self._freshness = freshness
        self._then = consequences
        self._background: set[asyncio.Task[None]] = set()

    # --- manifests ----------------------------------------------------------------------

    async def manifest(
        self, repository: RepositoryRecord, name: ImageName, reference: Reference
    ) -> None:
        """Have the manifest ``reference`` names cached in ``repository`` and, for a tag,
        fresh enough to serve (the caller reads it from the cache next)."""
        remote = _remote(repository)
        cached = await self._cached(name, reference)
        if reference.digest is not None:
            if cached:
                accounting.hit()
                return  # content by digest never changes: the upstream is not asked again
            if remote.offline:
                raise ManifestUnknown(_offline(repository, f"manifest {reference.digest}"))
            digest = str(reference.digest)

            async def fetch() -> None:
                if not await self._cached(name, reference):  # else fetched meanwhile
                    await self._fetch(repository, name, digest)

            await self._flights.once(
                f"manifest:{repository.key}/{name.image}@{digest}", fetch, wait=_wait(remote)
            )
            return
        tag = str(reference.tag)
        if not cached and remote.offline:
            raise ManifestUnknown(_offline(repository, f"tag {tag!r} of {name}"))

        async def revalidate(check: Check | None) -> str:
            return await self._revalidate(repository, name, tag, check)

        await self._freshness.ensure(repository, name.image, tag, cached, revalidate)

    async def _cached(self, name: ImageName, reference: Reference) -> bool:
        try:
            await self._manifests.resolve(name, reference)
        except ManifestUnknown:
            return False
        return True

    async def _revalidate(
        self, repository: RepositoryRecord, name: ImageName, tag: str, check: Check | None
    ) -> str:
        """Ask the upstream what ``tag`` points to: a ``HEAD`` when something is cached (Docker
        Hub does not count those against its pull limit), the manifest itself when that
        changed or nothing is cached. Returns the digest it points to."""
        remote = _remote(repository)
        path = self._path(remote, name, "manifests", tag)
        if check is not None and await self._cached(name, Reference(tag=tag)):
            async with self._open(repository, name, "HEAD", path) as reply:
                said = reply.headers.get("docker-content-digest")
                if reply.status == 200 and said == check.digest:
                    accounting.hit()
                    return check.digest
                if reply.status == 404:
                    log.warning(
                        "upstream of remote repository %r no longer has %s:%s; serving the "
                        "cached manifest",
                        repository.key,
                        name.image,
                        tag,
                    )
                    accounting.hit()
                    return check.digest
        return await self._fetch(repository, name, tag)

    async def _fetch(self, repository: RepositoryRecord, name: ImageName, reference: str) -> str:
        """GET a manifest by tag or digest from the upstream, verify it and cache it (and
        the tag); returns its digest."""
        remote = _remote(repository)
        path = self._path(remote, name, "manifests", reference)
        accounting.miss()
        async with self._open(repository, name, "GET", path) as reply:
            if reply.status == 404:
                raise ManifestUnknown(
                    f"{'manifest' if ':' in reference else 'tag'} {reference!r} not found in "
                    f"{name}, nor at its upstream {remote.upstream} "
                    f"({upstream_image(remote, name.image)})",
                    {"reference": reference},
                )
            if reply.status != 200:
                raise UpstreamUnavailable(
                    f"upstream {remote.upstream} of remote repository {repository.key!r} "
                    f"answered {reply.status} for manifest {reference!r}"
                )
            body = await reply.read(MAX_MANIFEST_BYTES)
            content_type = reply.headers.get("content-type")
            said = reply.headers.get("docker-content-digest")
        wanted = Digest.parse(reference) if ":" in reference else None
        algorithm = wanted.algorithm if wanted is not None else "sha256"
        digest = Digest.of(body, algorithm)
        expected = str(wanted) if wanted is not None else said
        if (
            expected is not None
            and expected.startswith(f"{algorithm}:")
            and expected != str(digest)
        ):
            raise UpstreamUnavailable(
                f"upstream {remote.upstream} sent a manifest for {reference!r} that hashes to "
                f"{digest}, not {expected}: nothing was cached"
            )
        try:
            manifest = parse_manifest(body, content_type)
        except DigestInvalid as exc:
            raise UpstreamUnavailable(f"upstream sent a broken manifest: {exc.message}") from exc
        except RegistryError as exc:
            raise UpstreamUnavailable(
                f"upstream {remote.upstream} sent a manifest cargohold cannot read: {exc.message}"
            ) from exc
        tag = None if wanted is not None else reference
        await self._manifests.store(
            name,
            repository,
            Reference(tag=tag) if tag else Reference(digest=digest),
            body,
            digest,
            content_type,
            NO_EFFECTS,
            cached=True,
        )
        if not manifest.is_index:  # an index's platforms are each fetched when asked for
            self._start(self._complete(repository, name, digest, manifest))
        return str(digest)

    async def _complete(
        self, repository: RepositoryRecord, name: ImageName, digest: Digest, manifest: Manifest
    ) -> None:
        """Fetch the blobs of an image just cached, then have it scanned; when the upstream
        fails meanwhile, try again a little later (a client's pull may have fetched them by
        then), a few times."""
        wanted = [d for d in manifest.layers if d.media_type not in mt.NON_DISTRIBUTABLE_LAYERS]
        if manifest.config is not None:
            wanted.append(manifest.config)
        limit = asyncio.Semaphore(PREFETCHES)

        async def one(blob: Digest) -> None:
            async with limit:
                found = await self.blob(repository, name, blob)
                if isinstance(found, Incoming):
                    await found.stored()

        for pause in (0, *PREFETCH_RETRIES):
            await asyncio.sleep(pause)
            try:
                await asyncio.gather(*(one(d.digest) for d in wanted))
                break
            except RegistryError as exc:
                log.warning(
                    "the blobs of %s@%s were not all fetched from the upstream of %r: %s",
                    name,
                    digest,
                    repository.key,
                    exc.message,
                )
        else:
            log.warning("%s@%s is not scanned: its blobs could not all be fetched", name, digest)
            return
        effects = self._then.scans.requested(str(digest), IMAGE, str(name))
        await to_thread.run_sync(self._meta.effects.commit, effects)
        self._then.jobs.committed(effects)

    # --- blobs --------------------------------------------------------------------------

    async def blob(
        self, repository: RepositoryRecord, name: ImageName, digest: Digest
    ) -> BlobInfo | Incoming:
        """The blob, cached in ``repository`` (as a BlobInfo) or on its way in from the
        upstream (as Incoming, whose bytes stream while they arrive)."""
        size = await self._blobs.linked_size(name, digest)
        if size is not None:
            accounting.hit()
            return await self._blobs.locate(digest, size)
        remote = _remote(repository)
        if await self._blobs.in_storage(digest):
            held = await self._held_elsewhere(repository, name, digest)
            if held is None:
                raise BlobUnknown(
                    f"blob {digest} is not in {name}, nor at its upstream {remote.upstream}",
                    {"digest": str(digest)},
                )
            accounting.hit()
            return held
        if remote.offline:
            raise BlobUnknown(_offline(repository, f"blob {digest}"), {"digest": str(digest)})
        path = self._path(remote, name, "blobs", str(digest))

        @contextlib.asynccontextmanager
        async def download(offset: int) -> AsyncIterator[Download]:
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            async with self._open(repository, name, "GET", path, headers) as reply:
                if reply.status == 404:
                    raise BlobUnknown(
                        f"blob {digest} is not in {name}, nor at its upstream {remote.upstream}",
                        {"digest": str(digest)},
                    )
                if reply.status == 206 and offset:
                    total = _content_range_total(reply.headers.get("content-range"))
                    yield Download(offset, total, reply.chunks())
                elif reply.status == 200:
                    yield Download(0, reply.size, reply.chunks())
                else:
                    raise UpstreamUnavailable(
                        f"upstream {remote.upstream} of remote repository {repository.key!r} "
                        f"answered {reply.status} for blob {digest}"
                    )

        accounting.miss()

        async def link(size: int) -> None:
            await self._blobs.link_cached(name, digest, size)

        incoming = await self._flights.blob(
            f"blob:{repository.key}/{name.image}@{digest}", digest, download, link
        )
        if incoming is not None:
            return incoming
        # Stored meanwhile: by this repository's fetch, just finished, or another's.
        size = await self._blobs.linked_size(name, digest)
        if size is not None:
            return await self._blobs.locate(digest, size)
        held = await self._held_elsewhere(repository, name, digest)
        if held is None:
            raise BlobUnknown(f"blob {digest} is not in {name}", {"digest": str(digest)})
        return held

    async def _held_elsewhere(
        self, repository: RepositoryRecord, name: ImageName, digest: Digest
    ) -> BlobInfo | None:
        """A blob whose bytes are stored (another repository holds them), linked to ``name``
        once it is known the upstream has it: a manifest cached from the upstream lists it,
        or the upstream says so to a ``HEAD``. Knowing a digest is not enough to read what
        another repository holds. None when the upstream does not have it."""
        listed = await to_thread.run_sync(
            self._meta.manifests.references, name.repository, name.image, str(digest)
        )
        if not listed:
            remote = _remote(repository)
            if remote.offline:
                return None
            path = self._path(remote, name, "blobs", str(digest))
            async with self._open(repository, name, "HEAD", path) as reply:
                if reply.status != 200:
                    return None
        size = await self._blobs.stored_size(digest)
        if size is None or not await self._blobs.link_cached(name, digest, size):
            return None
        return await self._blobs.locate(digest, size)

    # --- plumbing -----------------------------------------------------------------------

    def _path(self, remote: Remote, name: ImageName, kind: str, reference: str) -> str:
        return f"/v2/{upstream_image(remote, name.image)}/{kind}/{reference}"

    def _open(
        self,
        repository: RepositoryRecord,
        name: ImageName,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
    ) -> contextlib.AbstractAsyncContextManager[Reply]:
        remote = _remote(repository)
        return self._upstream.open(
            repository.key,
            remote,
            method,
            path,
            headers={"Accept": ACCEPT, **(headers or {})},
            scope=f"repository:{upstream_image(remote, name.image)}:pull",
        )

    def _start(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a background fetch failed", exc_info=task.exception())

    async def aclose(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)


def _remote(repository: RepositoryRecord) -> Remote:
    if repository.remote is None:
        raise ManifestUnknown(f"repository {repository.key!r} is not a remote repository")
    return repository.remote


def _wait(remote: Remote) -> float:
    return 2 * remote.timeout_seconds + 5


def _content_range_total(value: str | None) -> int | None:
    """The total of ``Content-Range: bytes 100-199/1000``."""
    if value is None or "/" not in value:
        return None
    total = value.rsplit("/", 1)[1].strip()
    return int(total) if total.isdigit() else None


__all__ = ["DOCKER_HUB", "RemoteImages", "upstream_image"]

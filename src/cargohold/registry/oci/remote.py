"""Docker's part of remote repositories: manifests, cached when asked for (a tag revalidated
with a ``HEAD`` after the repository's period), verified against their digest and stored
under the name the client used; and, once an image manifest is cached, its blobs fetched in
the background at once (so insight can scan the image, and the client's own requests join
those fetches). Fetching once whatever the crowd, freshness, stale serving, the offline
switch, authentication and backoff are the format-agnostic core's (``registry/remote``);
how names map to the upstream's URLs is ``docker_upstream.py``, blobs ``remote_blobs.py``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine

from anyio import to_thread

from cargohold.core import mediatypes as mt
from cargohold.core.digest import Digest
from cargohold.core.errors import (
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
from cargohold.registry.oci.docker_upstream import (
    DockerUpstream,
    offline,
    remote_of,
    upstream_image,
)
from cargohold.registry.oci.manifests import Manifests
from cargohold.registry.oci.remote_blobs import RemoteBlobs
from cargohold.registry.remote import accounting
from cargohold.registry.remote.flight import Flights, Incoming
from cargohold.registry.remote.freshness import Freshness

log = logging.getLogger("cargohold.remote")
PREFETCHES = 4  # blobs of one cached image fetched at once in the background
PREFETCH_RETRIES = (30, 120)  # seconds before fetching a cached image's blobs again


class RemoteImages:
    def __init__(
        self,
        meta: MetadataStore,
        manifests: Manifests,
        blobs: RemoteBlobs,
        upstream: DockerUpstream,
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
        remote = remote_of(repository)
        cached = await self._cached(name, reference)
        if reference.digest is not None:
            if cached:
                accounting.hit()
                return  # content by digest never changes: the upstream is not asked again
            if remote.offline:
                raise ManifestUnknown(offline(repository, f"manifest {reference.digest}"))
            digest = str(reference.digest)

            async def fetch() -> None:
                if not await self._cached(name, reference):  # else fetched meanwhile
                    await self._fetch(repository, name, digest)

            key = f"manifest:{repository.key}/{name.image}@{digest}"
            # A fetch followed in another process that failed leaves nothing: ask once more
            # (now first), to answer with the upstream's own answer.
            for _ in range(2):
                await self._flights.once(key, fetch, wait=_wait(remote))
                if await self._cached(name, reference):
                    return
            return
        tag = str(reference.tag)
        if not cached and remote.offline:
            raise ManifestUnknown(offline(repository, f"tag {tag!r} of {name}"))

        async def revalidate(check: Check | None) -> str:
            return await self._revalidate(repository, name, tag, check)

        await self._freshness.ensure(repository, name.image, tag, cached, revalidate)

    async def _points_to(self, name: ImageName, tag: str, digest: str) -> bool:
        """Whether the cached tag points where the upstream last said."""
        try:
            record = await self._manifests.resolve(name, Reference(tag=tag))
        except ManifestUnknown:
            return False
        return record.digest == digest

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
        remote = remote_of(repository)
        path = self._upstream.path(remote, name, "manifests", tag)
        if check is not None and await self._points_to(name, tag, check.digest):
            async with self._upstream.open(repository, name, "HEAD", path) as reply:
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
        remote = remote_of(repository)
        path = self._upstream.path(remote, name, "manifests", reference)
        accounting.miss()
        async with self._upstream.open(repository, name, "GET", path) as reply:
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
            declared = reply.headers.get("content-type", "").split(";")[0].strip()
            # application/json and the like: the manifest's own mediaType says what it is
            content_type = declared if declared in mt.MANIFESTS else None
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

    async def blob(
        self, repository: RepositoryRecord, name: ImageName, digest: Digest
    ) -> BlobInfo | Incoming:
        """The blob, cached in ``repository`` (as a BlobInfo) or on its way in from the
        upstream (as Incoming, whose bytes stream while they arrive)."""
        return await self._blobs.blob(repository, name, digest)

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


def _wait(remote: Remote) -> float:
    return 2 * remote.timeout_seconds + 5


__all__ = ["RemoteImages"]

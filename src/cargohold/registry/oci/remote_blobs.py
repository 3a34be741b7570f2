"""Docker's blobs in remote repositories: served from what the repository holds, or fetched
from the upstream once whatever the crowd (``registry/remote/flight.py``), streaming to every
client while they arrive. A blob the store already holds for another repository is linked
only once it is known the upstream has it: a manifest cached from the upstream lists it, or
the upstream says so to a ``HEAD``; knowing a digest is not enough to read what another
repository holds."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import BlobUnknown, UpstreamUnavailable
from cargohold.core.names import ImageName
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import BlobInfo
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.oci.blobs import Blobs
from cargohold.registry.oci.docker_upstream import (
    DockerUpstream,
    content_range_total,
    offline,
    remote_of,
)
from cargohold.registry.remote import accounting
from cargohold.registry.remote.download import Download
from cargohold.registry.remote.flight import Flights, Incoming


class RemoteBlobs:
    def __init__(
        self, meta: MetadataStore, blobs: Blobs, upstream: DockerUpstream, flights: Flights
    ) -> None:
        self._meta = meta
        self._blobs = blobs
        self._upstream = upstream
        self._flights = flights

    async def blob(
        self, repository: RepositoryRecord, name: ImageName, digest: Digest
    ) -> BlobInfo | Incoming:
        """The blob, cached in ``repository`` (as a BlobInfo) or on its way in from the
        upstream (as Incoming, whose bytes stream while they arrive)."""
        size = await self._blobs.linked_size(name, digest)
        if size is not None:
            accounting.hit()
            return await self._blobs.locate(digest, size)
        remote = remote_of(repository)
        if remote.offline:
            raise BlobUnknown(offline(repository, f"blob {digest}"), {"digest": str(digest)})
        stored = await self._blobs.stored_size(digest)
        if stored is not None:
            held = await self._held_elsewhere(repository, name, digest, stored)
            if held is None:
                raise BlobUnknown(
                    f"blob {digest} is not in {name}, nor at its upstream {remote.upstream}",
                    {"digest": str(digest)},
                )
            accounting.hit()
            return held
        path = self._upstream.path(remote, name, "blobs", str(digest))

        @contextlib.asynccontextmanager
        async def download(offset: int) -> AsyncIterator[Download]:
            headers = {"Range": f"bytes={offset}-"} if offset else {}
            async with self._upstream.open(repository, name, "GET", path, headers) as reply:
                if reply.status == 404:
                    raise BlobUnknown(
                        f"blob {digest} is not in {name}, nor at its upstream {remote.upstream}",
                        {"digest": str(digest)},
                    )
                if reply.status == 206 and offset:
                    total = content_range_total(reply.headers.get("content-range"))
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
        stored = await self._blobs.stored_size(digest)
        held = (
            None if stored is None else await self._held_elsewhere(repository, name, digest, stored)
        )
        if held is None:
            raise BlobUnknown(f"blob {digest} is not in {name}", {"digest": str(digest)})
        return held

    async def _held_elsewhere(
        self, repository: RepositoryRecord, name: ImageName, digest: Digest, size: int
    ) -> BlobInfo | None:
        """A blob whose ``size`` bytes are stored (another repository holds them), linked to
        ``name`` once it is known the upstream has it: a manifest cached from the upstream
        lists it, or the upstream says so to a ``HEAD``. Knowing a digest is not enough to
        read what another repository holds. None when the upstream does not have it."""
        listed = await to_thread.run_sync(
            self._meta.manifests.references, name.repository, name.image, str(digest)
        )
        if not listed:
            remote = remote_of(repository)
            if remote.offline:
                return None
            path = self._upstream.path(remote, name, "blobs", str(digest))
            async with self._upstream.open(repository, name, "HEAD", path) as reply:
                if reply.status != 200:
                    return None
        if not await self._blobs.link_cached(name, digest, size):
            return None
        return await self._blobs.locate(digest, size)


__all__ = ["RemoteBlobs"]

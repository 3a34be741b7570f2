"""Reading images whatever the kind of repository they are asked from: a local repository
serves what was pushed; a remote one what it cached, fetching from its upstream first when
needed; a virtual one the first of its members, in order, that the caller may read and that
has it. And where a push to a virtual repository goes: its default deploy repository.

A virtual repository needs ``read`` for reads (and ``write``, with ``write`` on its deploy
repository, for pushes); a member the caller cannot read is skipped. A policy watching the
virtual repository blocks what it blocks through every member, as does one watching the
member.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import (
    BlobUnknown,
    ManifestNotAccepted,
    ManifestUnknown,
    NameUnknown,
    UpstreamThrottled,
    UpstreamUnavailable,
)
from cargohold.core.names import ImageName, Reference
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import BlobInfo
from cargohold.records.oci import ManifestRecord
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.oci.blobs import Blobs
from cargohold.registry.oci.images import ImageAccess
from cargohold.registry.oci.manifests import Manifests, StoredManifest
from cargohold.registry.oci.remote import RemoteImages
from cargohold.registry.remote.flight import Incoming
from cargohold.registry.remote.virtual import VirtualMembers

# What a member answers when it does not have what was asked: the next member is tried.
_NOT_HERE = (ManifestUnknown, BlobUnknown, NameUnknown, UpstreamUnavailable, UpstreamThrottled)


class Pulls:
    def __init__(
        self,
        meta: MetadataStore,
        images: ImageAccess,
        manifests: Manifests,
        blobs: Blobs,
        remote: RemoteImages,
        members: VirtualMembers,
    ) -> None:
        self._meta = meta
        self._images = images
        self._manifests = manifests
        self._blobs = blobs
        self._remote = remote
        self._members = members

    # --- manifests ----------------------------------------------------------------------

    async def manifest(
        self,
        principal: Principal | None,
        name: ImageName,
        reference: Reference,
        accepted: Collection[str] | None = None,
    ) -> StoredManifest:
        """The manifest ``reference`` names, for a caller who may read ``name``."""
        repository = await self._images.check(principal, name, Action.READ)
        if repository.kind != "virtual":
            return await self._manifest_in(repository, name, reference, accepted)
        failures: list[Exception] = []
        members = await self._members.readable(principal, repository)
        for member in members:
            try:
                return await self._manifest_in(
                    member, _in(member, name), reference, accepted, repository.key
                )
            except ManifestNotAccepted:
                raise  # it is here, in a type the client does not take: not another's
            except _NOT_HERE as exc:
                failures.append(exc)
        raise _none_had(repository, members, name, reference, failures)

    async def _manifest_in(
        self,
        repository: RepositoryRecord,
        name: ImageName,
        reference: Reference,
        accepted: Collection[str] | None,
        watched_as: str | None = None,
    ) -> StoredManifest:
        if repository.kind == "remote":
            await self._remote.manifest(repository, name, reference)
        return await self._manifests.read(name, reference, accepted, watched_as)

    # --- blobs --------------------------------------------------------------------------

    async def blob(
        self, principal: Principal | None, name: ImageName, digest: Digest
    ) -> BlobInfo | Incoming:
        """The blob, stored (BlobInfo) or on its way in from an upstream (Incoming)."""
        repository = await self._images.check(principal, name, Action.READ)
        if repository.kind != "virtual":
            return await self._blob_in(repository, name, digest)
        members = await self._members.readable(principal, repository)
        # What a member holds already first, then what an upstream would have to send.
        for member in members:
            size = await self._blobs.linked_size(_in(member, name), digest)
            if size is not None:
                return await self._blobs.locate(digest, size)
        failures: list[Exception] = []
        for member in members:
            if member.kind == "remote":
                try:
                    return await self._remote.blob(member, _in(member, name), digest)
                except _NOT_HERE as exc:
                    failures.append(exc)
        raise _none_had(repository, members, name, digest, failures)

    async def _blob_in(
        self, repository: RepositoryRecord, name: ImageName, digest: Digest
    ) -> BlobInfo | Incoming:
        if repository.kind == "remote":
            return await self._remote.blob(repository, name, digest)
        size = await self._blobs.linked_size(name, digest)
        if size is None:
            raise BlobUnknown(f"blob {digest} is not in {name}", {"digest": str(digest)})
        return await self._blobs.locate(digest, size)

    # --- listings -----------------------------------------------------------------------

    async def tags(
        self, principal: Principal | None, name: ImageName, last: str | None, limit: int | None
    ) -> list[str]:
        """The tags of ``name``: for a virtual repository, those of its members the caller
        may read, merged (each once, in lexical order, as the registry API pages them); for a
        remote one, those cached."""
        repository = await self._images.check(principal, name, Action.READ)
        if repository.kind != "virtual":
            return await self._manifests.tags(principal, name, last, limit)
        merged: set[str] = set()
        for member in await self._members.readable(principal, repository):
            merged.update(
                await to_thread.run_sync(
                    self._meta.manifests.list_tags, member.key, name.image, None, None
                )
            )
        return _page(sorted(merged), last, limit)

    async def catalog(
        self, principal: Principal | None, last: str | None, limit: int | None
    ) -> list[str]:
        """``repository/name`` of the images the caller may read; a virtual repository lists
        the images of the members the caller may read, under its own key."""
        if limit == 0:
            return []
        readable = await self._images.readable_records(principal)
        virtual = [r for r in readable if r.kind == "virtual"]
        if not virtual:
            return await self._manifests.catalog(principal, last, limit)
        names = set(
            await to_thread.run_sync(
                self._meta.manifests.names, None, None, [r.key for r in readable]
            )
        )
        for repository in virtual:
            members = await self._members.readable(principal, repository)
            if not members:
                continue
            held = await to_thread.run_sync(
                self._meta.manifests.names, None, None, [m.key for m in members]
            )
            names.update(f"{repository.key}/{n.partition('/')[2]}" for n in held)
        return _page(sorted(names), last, limit)

    async def referrers(
        self,
        principal: Principal | None,
        name: ImageName,
        subject: Digest,
        artifact_type: str | None,
    ) -> list[ManifestRecord]:
        """The referrers of ``subject``: through a virtual repository, those of every member
        the caller may read, each once."""
        repository = await self._images.check(principal, name, Action.READ)
        if repository.kind != "virtual":
            return await self._manifests.referrers(principal, name, subject, artifact_type)
        found: dict[str, ManifestRecord] = {}
        for member in await self._members.readable(principal, repository):
            for record in await to_thread.run_sync(
                self._meta.manifests.referrers,
                member.key,
                name.image,
                str(subject),
                artifact_type,
            ):
                found.setdefault(record.digest, record)
        return list(found.values())

    # --- writes -------------------------------------------------------------------------

    async def deploy(
        self, principal: Principal | None, name: ImageName
    ) -> tuple[Principal | None, ImageName]:
        """Where a write to ``name`` goes, once the caller may write there: itself, or for a
        virtual repository (which the caller may write too) the same image in its default
        deploy repository (Denied when it has none), with a registry bearer token's grant on
        the virtual name carried over to it."""
        repository = await self._images.check(principal, name, Action.WRITE)
        if repository.kind != "virtual":
            return principal, name
        target = await self._members.deploy_target(repository)
        deployed = ImageName(target.key, name.image)
        if principal is not None and principal.images is not None:
            granted = principal.images.get(str(name), frozenset())
            images = {**principal.images, str(deployed): granted}
            principal = dataclasses.replace(principal, images=images)
        await self._images.check(principal, deployed, Action.WRITE)
        return principal, deployed


def _in(member: RepositoryRecord, name: ImageName) -> ImageName:
    return ImageName(member.key, name.image)


def _page(items: list[str], last: str | None, limit: int | None) -> list[str]:
    if last is not None:
        items = [item for item in items if item > last]
    return items if limit is None else items[:limit]


def _none_had(
    repository: RepositoryRecord,
    members: list[RepositoryRecord],
    name: ImageName,
    reference: Reference | Digest,
    failures: list[Exception],
) -> Exception:
    """What to answer when no member had it: unknown, unless an upstream could not be asked
    (then that, since the content may well exist there)."""
    for failure in failures:
        if isinstance(failure, UpstreamUnavailable | UpstreamThrottled):
            return failure
    what = f"blob {reference}" if isinstance(reference, Digest) else f"{reference}"
    keys = ", ".join(member.key for member in members) or "none"
    message = (
        f"{what} not found in {name}: none of the members of virtual repository "
        f"{repository.key!r} that you may read ({keys}) has it"
    )
    if isinstance(reference, Digest):
        return BlobUnknown(message, {"digest": str(reference)})
    return ManifestUnknown(message)

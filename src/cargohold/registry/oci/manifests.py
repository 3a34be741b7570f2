"""Manifests and tags: push, pull with content negotiation, delete, list, referrers.

A push or a delete checks the caller's right, and commits its audit record, its event
(with the webhook deliveries it calls for) and, for a push, the scan request in the same
transaction as the change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass

from anyio import to_thread

from cargohold.core import mediatypes as mt
from cargohold.core.digest import EMPTY_JSON, EMPTY_JSON_DIGEST, Digest
from cargohold.core.errors import (
    BlobNotFound,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestNotAccepted,
    ManifestTooLarge,
    ManifestUnknown,
)
from cargohold.core.manifest import MAX_MANIFEST_BYTES, Manifest, parse_manifest
from cargohold.core.names import ImageName, Reference
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import IMAGE
from cargohold.records.oci import ImageDeletion, ManifestRecord, NewManifest
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.cache import ChangeAwareCache, ContentCache
from cargohold.registry.consequences import Consequences
from cargohold.registry.events.emitter import Happened
from cargohold.registry.gc.claims import BlobClaims
from cargohold.registry.identity.access import Action
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.oci.blobs import Blobs
from cargohold.registry.oci.images import ImageAccess
from cargohold.registry.oci.pull_records import PullRecorder
from cargohold.storage.base import BlobStore


@dataclass(frozen=True, slots=True)
class StoredManifest:
    record: ManifestRecord
    body: bytes


@dataclass(frozen=True, slots=True)
class PushedManifest:
    digest: Digest
    subject: Digest | None


class Manifests:
    def __init__(
        self,
        store: BlobStore,
        meta: MetadataStore,
        blobs: Blobs,
        images: ImageAccess,
        consequences: Consequences,
        claims: BlobClaims,
        pulls: PullRecorder,
    ) -> None:
        self._pulls = pulls  # when each manifest was last pulled, for retention
        self._store = store
        self._claims = claims
        self._meta = meta
        self._blobs = blobs
        self._images = images
        self._then = consequences
        self._records: ChangeAwareCache[tuple[str, str, str], ManifestRecord | None] = (
            ChangeAwareCache(meta.changes.read, name="manifests")
        )
        self._bodies: ContentCache[str, bytes] = ContentCache(
            64 * 1024 * 1024, len, name="manifest_bodies"
        )

    # --- push ---------------------------------------------------------------------------

    async def put(
        self,
        actor: Actor,
        name: ImageName,
        reference: Reference,
        read_body: Callable[[], Awaitable[bytes]],
        content_type: str | None,
    ) -> PushedManifest:
        """Push the manifest ``read_body`` returns (read once the caller may push)."""
        then = self._then
        target = _target(name, str(reference))
        repository = await self._images.check(actor.principal, name, Action.WRITE)
        body = await read_body()
        digest = _digest(body, reference)
        data = _event_data(name, str(digest), reference.tag)
        data["mediaType"] = (content_type or "").split(";")[0].strip() or None
        happened = Happened("push", name.repository, name.image, data, actor.name)
        effects = (
            then.audit.entry(actor, "manifest.push", target, status=201, repository=name.repository)
            + await then.events.effects([happened])
            + then.scans.requested(str(digest), IMAGE, str(name))
        )
        return await self.store(name, repository, reference, body, digest, content_type, effects)

    async def store(
        self,
        name: ImageName,
        repository: RepositoryRecord,
        reference: Reference,
        body: bytes,
        digest: Digest,
        content_type: str | None,
        effects: Effects,
        *,
        cached: bool = False,
    ) -> PushedManifest:
        """Store a manifest (``digest`` is that of ``body``) in ``repository`` once it is
        known the caller may, and commit ``effects`` with it. A manifest a remote repository
        ``cached`` from its upstream is stored before the blobs it lists, which come when
        asked for."""
        manifest = parse_manifest(body, content_type)
        required = [] if cached else await self._check_references(name, manifest)
        await self._claims.claim(digest)
        await self._store.put(digest, body)
        self._bodies.put(str(digest), body)
        children = [d.digest for d in manifest.layers + manifest.manifests]
        if manifest.config is not None:
            children.append(manifest.config.digest)
        record = ManifestRecord(
            digest=str(digest),
            media_type=manifest.media_type,
            size=len(body),
            artifact_type=manifest.effective_artifact_type,
            subject=str(manifest.subject.digest) if manifest.subject else None,
            annotations=manifest.annotations,
        )
        new = NewManifest(
            name.repository,
            name.image,
            record,
            tuple(sorted({str(c) for c in children})),
            reference.tag,
            repository.immutable_tags,
            tuple(sorted({*required, str(digest)})),
        )
        await to_thread.run_sync(self._meta.manifests.put, new, effects)
        self._then.jobs.committed(effects)
        return PushedManifest(digest, manifest.subject.digest if manifest.subject else None)

    async def _check_references(self, name: ImageName, manifest: Manifest) -> list[str]:
        """Refuse a manifest whose blobs or child manifests ``name`` does not hold; the
        digests it needs stored."""
        blobs = [d for d in manifest.layers if d.media_type not in mt.NON_DISTRIBUTABLE_LAYERS]
        if manifest.config is not None:
            blobs.append(manifest.config)
        wanted = sorted({str(d.digest) for d in blobs})
        missing = await to_thread.run_sync(
            self._meta.blobs.missing, name.repository, name.image, wanted
        )
        if str(EMPTY_JSON_DIGEST) in missing:
            # The empty descriptor ({}) is implied by the spec; accept it without an upload.
            await self._blobs.put_small(name, EMPTY_JSON_DIGEST, EMPTY_JSON)
            missing.remove(str(EMPTY_JSON_DIGEST))
        if missing:
            raise ManifestBlobUnknown(
                f"manifest references blobs not uploaded to {name}: {', '.join(missing[:5])}"
                + (" …" if len(missing) > 5 else ""),
                {"digests": missing},
            )
        children = sorted({str(d.digest) for d in manifest.manifests})
        absent = await to_thread.run_sync(
            self._meta.manifests.missing, name.repository, name.image, children
        )
        if absent:
            raise ManifestBlobUnknown(
                f"index references manifests not pushed to {name}: {', '.join(absent[:5])}"
                + (" …" if len(absent) > 5 else ""),
                {"digests": absent},
            )
        return wanted + children

    # --- pull ---------------------------------------------------------------------------

    async def resolve(self, name: ImageName, reference: Reference) -> ManifestRecord:
        """The manifest a tag or digest names (one cache lookup on the hot path)."""

        async def load() -> ManifestRecord | None:
            return await to_thread.run_sync(self._load, name, reference)

        record = await self._records.get((name.repository, name.image, str(reference)), load)
        if record is None:
            if reference.tag is not None:
                raise ManifestUnknown(
                    f"tag {reference.tag!r} not found in {name}", {"tag": reference.tag}
                )
            raise ManifestUnknown(
                f"manifest {reference.digest} not found in {name}",
                {"digest": str(reference.digest)},
            )
        return record

    def _load(self, name: ImageName, reference: Reference) -> ManifestRecord | None:
        queries = self._meta.manifests
        digest = (
            str(reference.digest)
            if reference.tag is None
            else queries.resolve_tag(name.repository, name.image, reference.tag)
        )
        return None if digest is None else queries.get(name.repository, name.image, digest)

    async def read(
        self,
        name: ImageName,
        reference: Reference,
        accepted: Collection[str] | None = None,
        watched_as: str | None = None,
    ) -> StoredManifest:
        """The manifest and its bytes, for a caller already let read ``name`` (the pulls
        check), unless a policy watching the repository, or ``watched_as`` (the virtual
        repository it was asked through), blocks it (by tag or by digest alike). By tag, a
        manifest whose media type the client does not accept is not served; by digest, the
        exact content asked for always is."""
        record = await self.resolve(name, reference)
        if reference.tag is not None and accepted and record.media_type not in accepted:
            raise ManifestNotAccepted(
                f"manifest {record.digest} is {record.media_type}, which the client does not "
                "accept (Accept header)",
                {"mediaType": record.media_type},
            )
        await self._then.downloads.check_download(name.repository, record.digest)
        if watched_as is not None:
            await self._then.downloads.check_download(watched_as, record.digest)
        self._pulls.pulled(name.repository, name.image, record.digest)
        return StoredManifest(record, await self.body(record.digest))

    async def body(self, digest: str) -> bytes:
        body = self._bodies.get(digest)
        if body is not None:
            return body
        parsed = Digest.parse(digest)
        try:
            chunks = [chunk async for chunk in self._store.read(parsed)]
        except BlobNotFound as exc:
            raise ManifestUnknown(f"manifest {digest} is missing from storage") from exc
        body = b"".join(chunks)
        self._bodies.put(digest, body)
        return body

    # --- delete, list -------------------------------------------------------------------

    async def delete(self, actor: Actor, name: ImageName, reference: Reference) -> None:
        """Delete a tag, or a manifest (by digest) with every tag that points to it."""
        await self.remove(actor, name, reference)

    async def remove(self, actor: Actor, name: ImageName, reference: Reference) -> ImageDeletion:
        """Delete a tag (the manifest stays), or a manifest by digest with every tag that
        points to it (refused where tags are immutable); returns what went and what stayed.
        Needs ``delete`` on the repository, as the registry API's DELETE."""
        then = self._then
        target = _target(name, str(reference))
        repository = await self._images.check(actor.principal, name, Action.DELETE)
        digest = None if reference.digest is None else str(reference.digest)
        events = await then.events.effects(
            [
                Happened(
                    "delete",
                    name.repository,
                    name.image,
                    _event_data(name, digest, reference.tag),
                    actor.name,
                )
            ]
        )

        def effects_of(detail: str) -> Effects:
            return (
                then.audit.entry(
                    actor,
                    "manifest.delete",
                    target,
                    status=202,
                    repository=name.repository,
                    detail=detail,
                )
                + events
            )

        immutable = repository.immutable_tags
        queries = self._meta.manifests
        if reference.tag is not None:
            tag = reference.tag
            untagged = await to_thread.run_sync(
                lambda: queries.untag(
                    name.repository,
                    name.image,
                    tag,
                    immutable_tags=immutable,
                    effects_of=lambda u: effects_of(f"removed tag {tag} of {u.digest}"),
                )
            )
            if untagged is None:
                raise ManifestUnknown(f"tag {reference.tag!r} not found in {name}")
            deletion = ImageDeletion(str(name), untagged.digest, (tag,), False, untagged.remaining)
        else:
            removed = await to_thread.run_sync(
                lambda: queries.remove(
                    name.repository,
                    name.image,
                    str(digest),
                    immutable_tags=immutable,
                    effects_of=lambda tags: effects_of(
                        f"removed manifest {digest}"
                        + (f" and tags {', '.join(tags)}" if tags else "")
                    ),
                )
            )
            if removed is None:
                raise ManifestUnknown(f"manifest {reference.digest} not found in {name}")
            deletion = ImageDeletion(str(name), str(digest), tuple(removed), True, ())
        then.jobs.committed(events)
        return deletion

    async def tags(
        self, principal: Principal | None, name: ImageName, last: str | None, limit: int | None
    ) -> list[str]:
        await self._images.check(principal, name, Action.READ)
        return await to_thread.run_sync(
            self._meta.manifests.list_tags, name.repository, name.image, last, limit
        )

    async def referrers(
        self,
        principal: Principal | None,
        name: ImageName,
        subject: Digest,
        artifact_type: str | None,
    ) -> list[ManifestRecord]:
        await self._images.check(principal, name, Action.READ)
        return await to_thread.run_sync(
            self._meta.manifests.referrers, name.repository, name.image, str(subject), artifact_type
        )

    async def catalog(
        self, principal: Principal | None, last: str | None, limit: int | None
    ) -> list[str]:
        """``repository/name`` of the images in repositories ``principal`` may read."""
        if limit == 0:
            return []
        readable = await self._images.readable(principal)
        return await to_thread.run_sync(self._meta.manifests.names, last, limit, readable)


def _digest(body: bytes, reference: Reference) -> Digest:
    """The digest of a manifest's bytes, which must be the one the reference names."""
    if len(body) > MAX_MANIFEST_BYTES:
        raise ManifestTooLarge(f"manifest is {len(body)} bytes; the limit is {MAX_MANIFEST_BYTES}")
    digest = Digest.of(body, reference.digest.algorithm if reference.digest else "sha256")
    if reference.digest is not None and reference.digest != digest:
        raise DigestInvalid(
            f"manifest content hashes to {digest}, not {reference.digest}",
            {"digest": str(reference.digest)},
        )
    return digest


def _target(name: ImageName, reference: str) -> str:
    """How the audit log names a manifest: ``name:tag`` or ``name@digest``."""
    return f"{name}{'@' if ':' in reference else ':'}{reference}"


def _event_data(name: ImageName, digest: str | None, tag: str | None) -> dict[str, object]:
    return {
        "repository": name.repository,
        "image": name.image,
        "name": str(name),
        "digest": digest,
        "tag": tag,
    }


__all__ = ["Manifests", "PushedManifest", "StoredManifest"]

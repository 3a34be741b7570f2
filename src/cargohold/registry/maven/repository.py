"""Reading and deploying in a Maven repository: the use cases behind ``/maven/{repo}/…``.

A deploy is not one request: each file (POM, jar, ``.module``, sources, …) and each of its
checksum files is a PUT of its own, and each file is published on its own, the version's row
appearing with its first file. A checksum file is checked against the file stored at its
path and not kept: the checksums served are always those of the stored bytes. The client's
``maven-metadata.xml`` is read (bounded) and ignored: the server makes its own from its rows
(``metadata.py``).

Release files are immutable unless the repository allows overwriting: the same bytes again
are taken (a retried deploy passes), other bytes are a Conflict. Snapshot builds may be
deployed over.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterable, Callable
from dataclasses import dataclass
from typing import Any

from cargohold.core.checksums import Checksums
from cargohold.core.digest import Digest
from cargohold.core.errors import BadRequest, Conflict, PayloadTooLarge, ResourceUnknown
from cargohold.records.packages import PackageFile, PackageVersion
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.maven.layout import (
    SNAPSHOT,
    Target,
    is_snapshot,
    parse_filename,
)
from cargohold.registry.maven.metadata import artifact_metadata, newest_builds, version_metadata
from cargohold.registry.maven.poms import MAX_POM, check_pom, read_pom
from cargohold.registry.packages.files import NewFile, PackageFiles, settings_of

FORMAT = "maven"
NO_CLAIM = Checksums()
MAX_METADATA = 1024 * 1024  # bytes of a client's maven-metadata.xml, read and ignored
MAX_CHECKSUM = 1024  # bytes of a checksum file
XML = "text/xml"
TEXT = "text/plain"
HASHES: dict[str, Callable[[bytes], Any]] = {
    "sha1": hashlib.sha1,
    "md5": hashlib.md5,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


@dataclass(frozen=True, slots=True)
class Document:
    """Bytes made by the server: a metadata document or a checksum file."""

    body: bytes
    updated_at: float
    content_type: str


class MavenRepository:
    def __init__(self, packages: PackageFiles, clock: Callable[[], float]) -> None:
        self._packages = packages
        self._clock = clock

    # --- reading ------------------------------------------------------------------------

    async def read(
        self, principal: Principal | None, key: str, target: Target
    ) -> PackageFile | Document:
        """What ``target`` names in repository ``key``: a stored file (its download checked
        against the policies watching the repository) or a document made here;
        ResourceUnknown when there is none."""
        await self._packages.allowed(principal, key, FORMAT, Action.READ)
        if target.metadata:
            document = await self._metadata(key, target)
            if target.checksum is None:
                return document
            return _checksum_document(target.checksum, document.body, document.updated_at)
        found = await self._stored(key, target, fallback=True)
        if found is None:
            raise _unknown(key, target)
        if target.checksum is None:
            await self._packages.check_download(key, Digest.parse(found.file.digest))
            return found
        value = _stored_checksum(found, target.checksum)
        if value is None:
            raise ResourceUnknown(
                f"no {target.checksum} of {target.filename} is kept in {key!r}; "
                "ask for its .sha1, .sha256 or .md5"
            )
        return Document(value.encode(), found.file.updated_at, TEXT)

    async def _metadata(self, key: str, target: Target) -> Document:
        name = target.name
        if target.version is None:
            versions = await self._packages.versions(key, name)
            if not versions:
                raise _unknown(key, target)
            files = await self._packages.files(key, name)
            body = artifact_metadata(target.group, target.artifact, versions, files)
            updated = max([f.file.updated_at for f in files] + [v.created_at for v in versions])
            return Document(body, updated, XML)
        files = await self._packages.files(key, name, target.version)
        made = version_metadata(target.group, target.artifact, target.version, files)
        if made is None:
            raise _unknown(key, target)
        return Document(made, max(f.file.updated_at for f in files), XML)

    async def _stored(
        self, key: str, target: Target, *, fallback: bool = False
    ) -> PackageFile | None:
        """The file stored at ``target``; with ``fallback``, a snapshot's plain name
        (``hello-1.1-SNAPSHOT.jar``) is its newest build when that name is not stored."""
        version = target.version
        if version is None:
            return None
        files = await self._packages.files(key, target.name, version)
        by_name = {f.filename: f for f in files}
        found = by_name.get(target.filename)
        if found is not None or not fallback or not is_snapshot(version):
            return found
        named = parse_filename(target.artifact, version, target.filename)
        if named.timestamp is not None:
            return None
        for build in newest_builds(target.artifact, version, files):
            if (build.classifier, build.extension) == (named.classifier, named.extension):
                base = version.removesuffix(SNAPSHOT)
                suffix = f"-{build.classifier}" if build.classifier else ""
                return by_name.get(
                    f"{target.artifact}-{base}-{build.unique}{suffix}.{build.extension}"
                )
        return None

    # --- deploying ----------------------------------------------------------------------

    async def target(self, principal: Principal | None, key: str) -> RepositoryRecord:
        """The local repository ``key``, which ``principal`` may deploy to."""
        record = await self._packages.repository(key, FORMAT)
        if record.kind != "local":
            raise BadRequest(
                f"repository {key!r} is a {record.kind} repository: deploy to a local one"
            )
        return await self._packages.allowed(principal, key, FORMAT, Action.WRITE)

    async def deploy(
        self,
        actor: Actor,
        record: RepositoryRecord,
        target: Target,
        chunks: AsyncIterable[bytes],
        length: int | None,
        claimed: Checksums = NO_CLAIM,
    ) -> None:
        """Take one PUT to ``target`` in ``record`` (the ``target`` of the deploy), whose
        bytes must have the ``claimed`` checksums (BadRequest, nothing stored, otherwise)."""
        if target.metadata:
            await _bounded(chunks, MAX_METADATA, "a maven-metadata.xml")
            return
        if target.checksum is not None:
            body = await _bounded(chunks, MAX_CHECKSUM, "a checksum file")
            await self._check_checksum(record, target, target.checksum, body)
            return
        await self._deploy_file(actor, record, target, chunks, length, claimed)

    async def _check_checksum(
        self, record: RepositoryRecord, target: Target, algorithm: str, body: bytes
    ) -> None:
        words = body.decode("ascii", errors="replace").split()
        claimed = words[0].lower() if words else ""
        found = await self._stored(record.key, target)
        if found is None:
            # Taken and not kept: what is served is always computed from the stored bytes,
            # so a checksum that comes before its file (or for a file never sent) loses
            # nothing, and a client that uploads in another order is not failed for it.
            return
        actual = _stored_checksum(found, algorithm)
        if actual is None:
            actual = await self._packages.inspect_stored(
                found, lambda path: _hash_file(path, algorithm)
            )
        if claimed != actual:
            raise BadRequest(
                f"checksum mismatch for {target.filename}: received {algorithm} "
                f"{claimed[:128] or '(empty)'}, the stored file's is {actual}"
            )

    async def _deploy_file(
        self,
        actor: Actor,
        record: RepositoryRecord,
        target: Target,
        chunks: AsyncIterable[bytes],
        length: int | None,
        claimed: Checksums,
    ) -> None:
        version = target.version or ""
        pom = target.filename.endswith(".pom")
        if pom and length is not None and length > MAX_POM:
            raise PayloadTooLarge(f"a POM is limited to {MAX_POM} bytes")
        snapshot = is_snapshot(version)
        overwrite = snapshot or settings_of(record).overwrite
        existing = await self._stored(record.key, target)
        try:
            staged = await self._packages.stage(record, target.filename, chunks, claimed, length)
        except Conflict as exc:
            raise BadRequest(exc.message) from None
        try:
            if existing is not None and existing.file.digest == str(staged.digest):
                await self._packages.discard([staged])
                return
            if existing is not None and not overwrite:
                raise _redeploy(record.key, target)
            if pom:
                check_pom(await self._packages.inspect(staged, read_pom), target)
            row = await self._packages.version(record.key, target.name, version)
            if row is None:
                document = {"groupId": target.group, "artifactId": target.artifact}
                row = PackageVersion(
                    record.key,
                    target.name,
                    version,
                    self._clock(),
                    actor.name,
                    document=json.dumps(document),
                )
        except BaseException:
            await self._packages.discard([staged])
            raise
        try:
            await self._packages.publish(actor, record, row, [NewFile(staged)], overwrite=overwrite)
        except Conflict:
            # Deployed by another request meanwhile: the same bytes are that deploy, done.
            again = await self._stored(record.key, target)
            if again is not None and again.file.digest == str(staged.digest):
                return
            raise _redeploy(record.key, target) from None


def _redeploy(key: str, target: Target) -> Conflict:
    return Conflict(
        f"{target.coordinates} is already deployed in {key!r} with another "
        f"{target.filename}, and the repository does not allow redeploy: deploy a new "
        "version (released versions are immutable)",
        {"filename": target.filename},
    )


def _unknown(key: str, target: Target) -> ResourceUnknown:
    what = target.filename if target.checksum is None else f"{target.filename}.{target.checksum}"
    return ResourceUnknown(
        f"no {what} of {target.coordinates} in repository {key!r}", {"path": target.path}
    )


def _stored_checksum(found: PackageFile, algorithm: str) -> str | None:
    if algorithm == "sha256":
        return Digest.parse(found.file.digest).hex
    if algorithm == "sha1":
        return found.file.sha1 or None
    if algorithm == "md5":
        return found.file.md5 or None
    return None


def _checksum_document(algorithm: str, body: bytes, updated_at: float) -> Document:
    return Document(HASHES[algorithm](body).hexdigest().encode(), updated_at, TEXT)


def _hash_file(path: str, algorithm: str) -> str:
    hashing = HASHES[algorithm](b"")
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            hashing.update(chunk)
    return str(hashing.hexdigest())


async def _bounded(chunks: AsyncIterable[bytes], limit: int, what: str) -> bytes:
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"{what} is limited to {limit} bytes")
    return bytes(body)


__all__ = ["FORMAT", "Document", "MavenRepository"]

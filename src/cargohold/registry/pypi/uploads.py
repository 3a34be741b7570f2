"""Uploading a distribution to a PyPI repository (the legacy upload API twine and
``uv publish`` use): the file is checked against what the form claims (filename, digests,
name, version), stored, read for its core metadata, and published only when the filename,
the form and the metadata agree. An upload to a virtual repository goes to its default
deploy repository.

A name that normalizes to an existing project's is that project (as on PyPI): versions are
kept under the normalized name, the name as uploaded in the version's document.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterable, AsyncIterator, Callable
from dataclasses import dataclass

from anyio import to_thread

from cargohold.core.checksums import Checksums
from cargohold.core.errors import BadRequest, Conflict
from cargohold.records.packages import PackageFile, PackageVersion
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action
from cargohold.registry.packages.files import NewFile, PackageFiles
from cargohold.registry.packages.virtual import PackageMembers
from cargohold.registry.pypi.distributions import (
    FILETYPES,
    WHEEL,
    CoreMetadata,
    Named,
    agreeing,
    normalize,
    parse_filename,
    read_metadata,
    valid_name,
    valid_version,
)

FORMAT = "pypi"


@dataclass(frozen=True, slots=True)
class Upload:
    """What the upload form says of the file it carries."""

    name: str
    version: str
    filetype: str
    filename: str
    sha256: str | None = None
    md5: str | None = None
    blake2_256: str | None = None


class PypiUploads:
    def __init__(
        self, packages: PackageFiles, members: PackageMembers, clock: Callable[[], float]
    ) -> None:
        self._packages = packages
        self._members = members
        self._clock = clock

    async def target(self, actor: Actor, key: str) -> RepositoryRecord:
        """The local repository an upload to ``key`` goes to, which the caller may write."""
        record = await self._packages.repository(key, FORMAT)
        if record.kind == "virtual":
            record = await self._members.deploy_target(record)
        elif record.kind != "local":
            raise BadRequest(
                f"repository {key!r} is a remote repository (a cache of its upstream): "
                "upload to a local repository, or to a virtual one with a deploy repository"
            )
        return await self._packages.allowed(actor.principal, record.key, FORMAT, Action.WRITE)

    async def upload(
        self,
        actor: Actor,
        record: RepositoryRecord,
        form: Upload,
        chunks: AsyncIterable[bytes],
        length: int | None = None,
    ) -> PackageFile:
        """Publish one file in ``record`` (the ``target`` of the upload); BadRequest
        (nothing stored) when it is not what it claims to be, Conflict when the file exists
        and the repository does not allow overwriting."""
        named = _checked_form(form)
        claimed = Checksums.claimed(sha256=form.sha256, md5=form.md5)
        blake = _Blake2(form.blake2_256)
        try:
            staged = await self._packages.stage(
                record, form.filename, blake.hashing(chunks), claimed, length
            )
        except Conflict as exc:
            raise BadRequest(exc.message) from None
        try:
            blake.check(form.filename)
            metadata: CoreMetadata = await self._packages.inspect(
                staged, lambda path: read_metadata(path, named)
            )
            agreeing(named, metadata, form.name, form.version)
            name = normalize(metadata.name)
            version = PackageVersion(
                record.key,
                name,
                str(metadata.version),
                self._clock(),
                actor.name,
                None,
                json.dumps({"name": metadata.name, "summary": metadata.summary[:512]}),
            )
            existing = await self._packages.version(record.key, name, version.version)
            if existing is not None:
                version = existing
            new = NewFile(
                staged,
                metadata.requires_python,
                metadata.raw if named.filetype == WHEEL else None,
            )
        except BaseException:
            await self._packages.discard([staged])
            raise
        try:
            published = await self._packages.publish(actor, record, version, [new])
        except Conflict as exc:
            # what PyPI's clients (twine --skip-existing with pypi.org) know a file that
            # exists by: a 409, or a 400 saying so
            raise Conflict(f"File already exists: {exc.message}", exc.detail) from None
        return published[0]


def _checked_form(form: Upload) -> Named:
    if form.filetype not in FILETYPES:
        raise BadRequest(
            f"unknown filetype {form.filetype[:50]!r}: PyPI repositories take "
            + " and ".join(FILETYPES)
        )
    valid_name(form.name)
    valid_version(form.version)
    named = parse_filename(form.filename)
    if named.filetype != form.filetype:
        raise BadRequest(f"{form.filename!r} is not a {form.filetype} file")
    if not (form.sha256 or form.md5 or form.blake2_256):
        raise BadRequest("send a sha256_digest (or md5_digest) of the file")
    return named


class _Blake2:
    """The BLAKE2b-256 digest of the bytes passed through, checked against the one claimed."""

    def __init__(self, claimed: str | None) -> None:
        self._claimed = None if claimed is None else claimed.strip().lower()
        self._hash = hashlib.blake2b(digest_size=32)

    async def hashing(self, chunks: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            if self._claimed is not None:
                await to_thread.run_sync(self._hash.update, chunk)
            yield chunk

    def check(self, filename: str) -> None:
        if self._claimed is not None and self._hash.hexdigest() != self._claimed:
            raise BadRequest(
                f"blake2_256 digest mismatch for {filename}: the content's is "
                f"{self._hash.hexdigest()}, not {self._claimed[:64]}; nothing was stored"
            )


__all__ = ["FORMAT", "PypiUploads", "Upload"]

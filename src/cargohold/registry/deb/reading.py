"""What apt reads from a Debian repository: the indexes of a distribution (``dists/...``),
the packages of the pool (download policies checked), and the repository's public key; and
the rotation of that key."""

from __future__ import annotations

from anyio import to_thread

from cargohold.core.digest import Digest
from cargohold.core.errors import ResourceUnknown
from cargohold.meta.store import MetadataStore
from cargohold.records.artifacts import BlobInfo
from cargohold.records.generic import GenericFileRecord
from cargohold.records.packages import PackageFile
from cargohold.records.signing import SigningKey
from cargohold.registry.deb.publishing import DebIndexes
from cargohold.registry.deb.uploads import FORMAT
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.packages.files import PackageFiles
from cargohold.registry.signing.keys import RepositoryKeys

DISTS = "dists/"


class DebReading:
    def __init__(
        self,
        meta: MetadataStore,
        packages: PackageFiles,
        keys: RepositoryKeys,
        indexes: DebIndexes,
    ) -> None:
        self._meta = meta
        self._packages = packages
        self._keys = keys
        self._indexes = indexes

    async def index(
        self, principal: Principal | None, key: str, path: str
    ) -> tuple[GenericFileRecord, BlobInfo]:
        """An index file (``dists/DIST/...``) and where its bytes are."""
        await self._packages.allowed(principal, key, FORMAT, Action.READ)
        record = None
        if path.startswith(DISTS):
            record = await to_thread.run_sync(self._meta.generic.get, key, path)
        if record is None:
            raise ResourceUnknown(
                f"no index {path!r} in Debian repository {key!r} (a distribution has indexes "
                "once a package was uploaded into it)",
                {"path": path},
            )
        return record, await self._packages.blob(record)

    async def package(self, principal: Principal | None, key: str, path: str) -> PackageFile:
        """A package of the pool; PolicyViolation when a policy watching the repository
        blocks it."""
        await self._packages.allowed(principal, key, FORMAT, Action.READ)
        found = await to_thread.run_sync(self._meta.packages.file, key, path)
        if found is None:
            raise ResourceUnknown(
                f"no package {path!r} in Debian repository {key!r}", {"path": path}
            )
        await self._packages.check_download(key, Digest.parse(found.file.digest))
        return found

    async def blob(self, file: PackageFile) -> BlobInfo:
        return await self._packages.blob(file.file)

    async def public_key(self, principal: Principal | None, key: str) -> str:
        """The armored certificates apt checks the repository's indexes with."""
        await self._packages.allowed(principal, key, FORMAT, Action.READ)
        return await self._keys.public(key)

    async def keys(self, principal: Principal | None, key: str) -> list[SigningKey]:
        """The keys that sign for the repository now, newest first (those a rotation is
        retiring included); the caller shows only their public parts."""
        await self._packages.allowed(principal, key, FORMAT, Action.READ)
        return await self._keys.active(key)

    async def rotate_key(self, actor: Actor, key: str, grace: float) -> list[SigningKey]:
        """A new signing key for ``key``; the current ones sign beside it for ``grace``
        seconds. Every distribution's indexes are signed again at once."""
        await self._packages.allowed(actor.principal, key, FORMAT, Action.MANAGE)
        keys = await self._keys.rotate(key, grace)
        await self._indexes.publish_all(key)
        return keys


__all__ = ["DebReading"]

"""What npm changes of published packages: dist-tags (``npm dist-tag add|rm``), deprecation
(``npm deprecate`` PUTs the whole packument back with ``deprecated`` set on versions) and
unpublishing (``npm unpublish``: the packument PUT back without the version, then the
tarball deleted; or the whole package deleted).

Unpublishing needs ``delete`` and a repository that allows it (``PackageSettings.unpublish``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cargohold.core.errors import BadRequest, Denied, ResourceUnknown
from cargohold.records.packages import DistTag
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action
from cargohold.registry.npm.names import (
    validate_name,
    validate_tag,
    validate_version,
    version_of_filename,
)
from cargohold.registry.npm.publishing import NpmPublishing
from cargohold.registry.npm.reading import unknown_package
from cargohold.registry.packages.changes import PackageChanges
from cargohold.registry.packages.files import PackageFiles, settings_of

MAX_MESSAGE = 1024


class NpmChanges:
    def __init__(
        self, packages: PackageFiles, changes: PackageChanges, publishing: NpmPublishing
    ) -> None:
        self._packages = packages
        self._changes = changes
        self._publishing = publishing

    # --- dist-tags ----------------------------------------------------------------------

    async def set_tag(self, actor: Actor, key: str, name: str, tag: str, version: str) -> None:
        repository = await self._publishing.target(actor.principal, key, Action.WRITE)
        validate_tag(tag)
        validate_version(version)
        if await self._packages.version(repository.key, name, version) is None:
            raise ResourceUnknown(
                f"{name} has no version {version} in repository {repository.key!r}",
                {"version": version},
            )
        await self._changes.set_tag(actor, DistTag(repository.key, name, tag, version))

    async def remove_tag(self, actor: Actor, key: str, name: str, tag: str) -> None:
        repository = await self._publishing.target(actor.principal, key, Action.WRITE)
        if tag == "latest":
            raise BadRequest("the latest dist-tag cannot be removed: point it at another version")
        if not await self._changes.remove_tag(actor, repository.key, name, tag):
            raise ResourceUnknown(f"{name} has no dist-tag {tag!r} in {repository.key!r}")

    # --- the packument PUT back ---------------------------------------------------------

    async def update(
        self, actor: Actor, key: str, name: str, body: Mapping[str, Any], *, unpublish: bool
    ) -> None:
        """A packument PUT back without a tarball: deprecation messages set or cleared and,
        with ``unpublish`` (a PUT to ``/NAME/-rev/REV``), the versions it no longer lists
        unpublished and its dist-tags taken."""
        validate_name(name)
        repository = await self._publishing.target(actor.principal, key, Action.WRITE)
        current = {v.version: v for v in await self._packages.versions(repository.key, name)}
        if not current:
            raise unknown_package(name, repository.key)
        versions = body.get("versions")
        if not isinstance(versions, dict):
            raise BadRequest("versions must be a JSON object")
        new = sorted(set(versions) - set(current))
        if new:
            raise BadRequest(
                f"version {str(new[0])[:100]} of {name} is not published: publish new "
                "versions with their tarball (npm publish)"
            )
        changes: dict[str, str | None] = {}
        for version, manifest in versions.items():
            if not isinstance(manifest, dict):
                raise BadRequest(f"versions[{version[:100]!r}] must be a JSON object")
            message = manifest.get("deprecated")
            if message is not None and not isinstance(message, str):
                raise BadRequest("deprecated must be a string")
            wanted = message[:MAX_MESSAGE] if message else None
            if wanted != current[version].yanked:
                changes[version] = wanted
        tags = _tags(body.get("dist-tags")) if unpublish else {}
        gone = sorted(set(current) - set(versions))
        if gone and not unpublish:
            raise BadRequest(
                "the document leaves out published versions: unpublish them with "
                "`npm unpublish NAME@VERSION`"
            )
        if gone:
            await self._unpublishable(actor, repository)
        if changes:
            await self._changes.yank(actor, repository.key, name, changes)
        for version in gone:
            await self._changes.delete(actor, repository.key, name, version)
        if tags:
            await self._retag(actor, repository.key, name, tags)

    async def _retag(self, actor: Actor, key: str, name: str, tags: Mapping[str, str]) -> None:
        existing = {t.tag: t.version for t in await self._packages.tags(key, name)}
        for tag, version in tags.items():
            held = await self._packages.version(key, name, version)
            if existing.get(tag) != version and held is not None:
                await self._changes.set_tag(actor, DistTag(key, name, tag, version))

    # --- unpublishing -------------------------------------------------------------------

    async def unpublish(self, actor: Actor, key: str, name: str) -> None:
        """``npm unpublish NAME --force``: every version of the package."""
        repository = await self._publishing.target(actor.principal, key, Action.DELETE)
        await self._unpublishable(actor, repository)
        await self._changes.delete(actor, repository.key, name)

    async def delete_tarball(self, actor: Actor, key: str, name: str, filename: str) -> None:
        """The tarball's DELETE that follows the PUT of ``npm unpublish NAME@VERSION``: its
        version was unpublished with the PUT, or is now."""
        repository = await self._publishing.target(actor.principal, key, Action.DELETE)
        await self._unpublishable(actor, repository)
        version = version_of_filename(name, filename)
        if version is None:
            raise ResourceUnknown(f"{filename[:200]!r} is not a tarball of {name}")
        if await self._packages.version(repository.key, name, version) is not None:
            await self._changes.delete(actor, repository.key, name, version)

    async def _unpublishable(self, actor: Actor, repository: RepositoryRecord) -> None:
        if not self._packages.allows(actor.principal, repository, Action.DELETE):
            raise Denied(
                f"unpublishing from repository {repository.key!r} needs the delete permission",
                {"repository": repository.key},
            )
        if not settings_of(repository).unpublish:
            raise Denied(
                f"repository {repository.key!r} does not allow unpublishing; deprecate the "
                "version instead (npm deprecate)",
                {"repository": repository.key},
            )


def _tags(value: object) -> dict[str, str]:
    """The dist-tags of a packument PUT back, checked before anything changes."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BadRequest('dist-tags must be a JSON object of tag: "version"')
    return {validate_tag(str(tag)): version for tag, version in value.items()}


__all__ = ["NpmChanges"]

"""Repositories: the lookups every use case starts from (cached until any write), create,
change and delete; the defaults of a new instance.

Nothing here checks who asks: this is the bottom of registry/, below identity. The checked
administration of repositories is ``registry.operations.repositories``, which passes the
audit record of each change in as ``effects``; the server's start (``ensure_defaults``) and
the tests call these directly."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from anyio import to_thread

from cargohold.core.errors import (
    NameUnknown,
    RepositoryExists,
    RepositoryInvalid,
    RepositoryUnknown,
)
from cargohold.core.names import validate_repository_key
from cargohold.meta.effects import NO_EFFECTS, Effects
from cargohold.meta.repositories import packages_json, remote_json, virtual_json
from cargohold.meta.store import MetadataStore
from cargohold.records.packages import PackageSettings
from cargohold.records.repositories import Holdings, Remote, RepositoryRecord, Virtual
from cargohold.registry.cache import ChangeAwareCache

KINDS = ("local", "remote", "virtual")


class Keep(enum.Enum):
    """A setting ``update`` leaves as it is, where None is a value (no quota)."""

    KEEP = "keep"


KEEP = Keep.KEEP
DEFAULT_REPOSITORIES = ("dev", "staging", "prod")


class Repositories:
    def __init__(
        self,
        meta: MetadataStore,
        formats: Sequence[str],
        remote_formats: Sequence[str] = ("docker",),
    ) -> None:
        self._meta = meta
        self._formats = tuple(formats)
        self._remote_formats = tuple(remote_formats)  # the formats with a remote adapter
        self._cache: ChangeAwareCache[str, RepositoryRecord | None] = ChangeAwareCache(
            meta.changes.read, name="repositories"
        )

    async def find(self, key: str) -> RepositoryRecord | None:
        async def load() -> RepositoryRecord | None:
            return await to_thread.run_sync(self._meta.repositories.get, key)

        return await self._cache.get(key, load)

    async def get(self, key: str) -> RepositoryRecord:
        record = await self.find(key)
        if record is None:
            raise RepositoryUnknown(f"repository {key!r} does not exist")
        return record

    async def for_image(self, key: str) -> RepositoryRecord:
        """The repository an image name starts with, in the registry protocol's words."""
        record = await self.find(key)
        if record is None:
            raise NameUnknown(
                f"repository {key!r} does not exist: the first path segment of an image name "
                f"is the repository key; create it with `cargohold repo create {key}`",
                {"repository": key},
            )
        if record.format != "docker":
            raise NameUnknown(
                f"repository {key!r} holds {record.format} artifacts, not container images; "
                "push images to a docker repository",
                {"repository": key, "format": record.format},
            )
        return record

    async def all(self) -> list[RepositoryRecord]:
        return await to_thread.run_sync(self._meta.repositories.list)

    async def create(
        self,
        key: str,
        format: str = "docker",
        kind: str = "local",
        anonymous_read: bool = False,
        description: str = "",
        immutable_tags: bool = False,
        quota_bytes: int | None = None,
        effects: Effects = NO_EFFECTS,
        remote: Remote | None = None,
        virtual: Virtual | None = None,
        packages: PackageSettings | None = None,
    ) -> RepositoryRecord:
        """Create the repository, committing ``effects`` with it. A remote repository needs
        ``remote`` (its upstream), a virtual one ``virtual`` (its members)."""
        validate_repository_key(key)
        _check_quota(quota_bytes)
        if format not in self._formats:
            raise RepositoryInvalid(
                f"format {format!r} is not supported yet; supported: {', '.join(self._formats)}"
            )
        if kind not in KINDS:
            raise RepositoryInvalid(
                f"kind {kind!r} is not supported yet; supported: {', '.join(KINDS)}"
            )
        record = RepositoryRecord(
            key,
            format,
            kind,
            anonymous_read,
            description,
            immutable_tags,
            quota_bytes,
            remote,
            virtual,
            packages,
        )
        await self._check_kind(record)
        if not await to_thread.run_sync(self._meta.repositories.create, record, effects):
            raise RepositoryExists(f"repository {key!r} already exists")
        return record

    async def update(
        self,
        key: str,
        *,
        anonymous_read: bool | None = None,
        description: str | None = None,
        immutable_tags: bool | None = None,
        quota_bytes: int | Keep | None = KEEP,
        remote: Remote | None = None,
        virtual: Virtual | None = None,
        packages: PackageSettings | None = None,
        effects: Effects = NO_EFFECTS,
    ) -> RepositoryRecord:
        """Change the settings given (None: keep; for ``quota_bytes``, KEEP keeps and None
        removes the quota), committing ``effects`` with the change, or on their own when
        nothing is to change. ``remote`` replaces a remote repository's upstream settings
        whole, ``virtual`` a virtual one's members."""
        changes: dict[str, object] = {}
        if remote is not None or virtual is not None:
            current = await self.get(key)
            if remote is not None:
                changes["remote"] = remote_json(remote)
            if virtual is not None:
                changes["virtual"] = virtual_json(virtual)
            await self._check_kind(
                dataclasses.replace(
                    current,
                    remote=remote or current.remote,
                    virtual=virtual or current.virtual,
                )
            )
        if packages is not None:
            changes["packages"] = packages_json(packages)
        if not isinstance(quota_bytes, Keep):
            _check_quota(quota_bytes)
            changes["quota_bytes"] = quota_bytes
        if immutable_tags is not None:
            changes["immutable_tags"] = immutable_tags
        if anonymous_read is not None:
            changes["anonymous_read"] = anonymous_read
        if description is not None:
            changes["description"] = description
        queries = self._meta.repositories
        if changes and not await to_thread.run_sync(queries.update, key, changes, effects):
            raise RepositoryUnknown(f"repository {key!r} does not exist")
        record = await to_thread.run_sync(queries.get, key)
        if record is None:
            raise RepositoryUnknown(f"repository {key!r} does not exist")
        if not changes and effects:
            await to_thread.run_sync(self._meta.effects.commit, effects)
        return record

    async def remove(
        self,
        key: str,
        check: Callable[[Holdings], None],
        effects_of: Callable[[Holdings], Effects],
    ) -> Holdings:
        """Delete the repository once ``check`` has seen what it holds (and not refused),
        committing the effects of that with it; returns what went."""
        held = await to_thread.run_sync(self._meta.repositories.remove, key, check, effects_of)
        if held is None:
            raise RepositoryUnknown(f"repository {key!r} does not exist")
        return held

    async def _check_kind(self, record: RepositoryRecord) -> None:
        """Refuse settings that do not fit the repository's kind: a remote repository has an
        upstream URL and a format that can fetch; a virtual one lists existing local or
        remote repositories of its own format, and deploys to one of its local members."""
        if record.kind == "remote":
            _check_remote(record, self._remote_formats)
        elif record.remote is not None:
            raise RepositoryInvalid("only a remote repository (kind remote) has an upstream")
        if record.kind == "virtual":
            await self._check_virtual(record)
        elif record.virtual is not None:
            raise RepositoryInvalid("only a virtual repository (kind virtual) has members")

    async def _check_virtual(self, record: RepositoryRecord) -> None:
        virtual = record.virtual
        if record.format not in self._remote_formats:
            raise RepositoryInvalid(
                f"virtual repositories of format {record.format!r} are not supported yet; "
                f"supported: {', '.join(self._remote_formats)}"
            )
        if virtual is None or not virtual.members:
            raise RepositoryInvalid(
                f"virtual repository {record.key!r} needs members: the repositories it "
                "resolves names in, in order (--member dev --member hub)"
            )
        if len(set(virtual.members)) != len(virtual.members):
            raise RepositoryInvalid("a virtual repository lists each member once")
        for key in virtual.members:
            member = await self.find(key)
            if member is None:
                raise RepositoryInvalid(f"member {key!r} does not exist; create it first")
            if key == record.key or member.kind == "virtual":
                raise RepositoryInvalid(
                    f"member {key!r} is a virtual repository; members are local or remote "
                    "repositories"
                )
            if member.format != record.format:
                raise RepositoryInvalid(
                    f"member {key!r} holds {member.format} artifacts, not {record.format}"
                )
        deploy = virtual.default_deploy
        if deploy is not None:
            if deploy not in virtual.members:
                raise RepositoryInvalid(
                    f"the default deploy repository {deploy!r} must be one of the members "
                    f"({', '.join(virtual.members)})"
                )
            target = await self.get(deploy)
            if target.kind != "local":
                raise RepositoryInvalid(
                    f"the default deploy repository {deploy!r} is {target.kind}; pushes go "
                    "to a local repository"
                )

    def ensure_defaults(self) -> list[str]:
        """Create dev, staging and prod on a new instance; returns the keys created."""
        if self._meta.repositories.list():
            return []
        for key in DEFAULT_REPOSITORIES:
            immutable = key == "prod"  # what reached prod is never overwritten
            self._meta.repositories.create(
                RepositoryRecord(key, "docker", "local", False, immutable_tags=immutable)
            )
        return list(DEFAULT_REPOSITORIES)


def _check_remote(record: RepositoryRecord, formats: Sequence[str]) -> None:
    remote = record.remote
    if record.format not in formats:
        raise RepositoryInvalid(
            f"remote repositories of format {record.format!r} are not supported yet; "
            f"supported: {', '.join(formats)}"
        )
    if remote is None:
        raise RepositoryInvalid(
            f"remote repository {record.key!r} needs an upstream URL "
            "(--upstream https://registry-1.docker.io)"
        )
    parts = urlsplit(remote.upstream)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RepositoryInvalid(
            f"upstream {remote.upstream[:200]!r} is not an http(s) URL, such as "
            "https://registry-1.docker.io"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise RepositoryInvalid(
            "an upstream URL has no query, fragment or credentials; give the credentials "
            "as username and password"
        )
    if (remote.username is None) != (remote.password is None):
        raise RepositoryInvalid("upstream credentials need both a username and a password")
    if remote.revalidate_seconds < 0:
        raise RepositoryInvalid("the revalidation period is a number of seconds, 0 or more")
    if not 0 < remote.timeout_seconds <= 3600:
        raise RepositoryInvalid(
            "the upstream timeout is a number of seconds, above 0 and 3600 at most"
        )


def _check_quota(quota_bytes: int | None) -> None:
    if quota_bytes is not None and quota_bytes < 0:
        raise RepositoryInvalid(
            f"a quota is a number of bytes, 0 or more (or none), not {quota_bytes}"
        )


__all__ = ["DEFAULT_REPOSITORIES", "KEEP", "KINDS", "Keep", "Repositories"]

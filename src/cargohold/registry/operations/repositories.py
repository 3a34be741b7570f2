"""Repositories as administrators and readers see them: the list and each one as far as the
caller may read it; created and deleted by an administrator, their settings changed by whoever
may manage the repository, except its quota, a remote repository's upstream (and its
credentials and TLS verification), a virtual repository's members, default deploy repository
and trust in remote names, and what a PyPI or npm repository allows (overwriting,
unpublishing), which only an administrator sets (see ``kind_settings`` and
``package_settings``). Each change commits its audit record with it."""

from __future__ import annotations

import dataclasses

from cargohold.core.errors import Conflict, RepositoryNotEmpty
from cargohold.meta.effects import Effects
from cargohold.records.packages import PackageSettings
from cargohold.records.repositories import Holdings, Remote, RepositoryRecord, Virtual
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.operations.kind_settings import (
    RemoteChange,
    VirtualChange,
    remote_of,
    virtual_of,
)
from cargohold.registry.operations.package_settings import (
    PackageChange,
    check_package_fields,
    check_trust_field,
)
from cargohold.registry.packages.files import settings_of
from cargohold.registry.quotas.limits import Quotas
from cargohold.registry.repositories import KEEP, Keep, Repositories


class RepositoryAdministration:
    def __init__(
        self, repositories: Repositories, access: AccessControl, audit: AuditLog, quotas: Quotas
    ) -> None:
        self._repositories = repositories
        self._access = access
        self._audit = audit
        self._quotas = quotas

    def _recorded(self, actor: Actor, action: str, key: str, status: int) -> Effects:
        return self._audit.entry(
            actor, action, f"repositories/{key}", status=status, repository=key
        )

    async def visible(self, principal: Principal | None) -> list[RepositoryRecord]:
        """Every repository the caller may read, by key."""
        return [
            record
            for record in await self._repositories.all()
            if self._access.allows(principal, record, Action.READ)
        ]

    async def get(self, principal: Principal | None, key: str) -> RepositoryRecord:
        record = await self._repositories.get(key)
        self._access.check(principal, record, Action.READ)
        return record

    async def usage(self, records: list[RepositoryRecord]) -> dict[str, int]:
        """The bytes each of ``records`` (which the caller was let see) holds."""
        return await self._quotas.usages([record.key for record in records]) if records else {}

    async def create(
        self,
        actor: Actor,
        key: str,
        *,
        format: str = "docker",
        kind: str = "local",
        anonymous_read: bool = False,
        description: str = "",
        immutable_tags: bool = False,
        quota_bytes: int | None = None,
        remote: Remote | None = None,
        virtual: Virtual | None = None,
        packages: PackageChange | None = None,
        trust_remote_names: bool | None = None,
    ) -> RepositoryRecord:
        """A remote repository (``kind="remote"``) needs ``remote``, a virtual one
        ``virtual``; neither fits another kind. ``packages`` fits a local PyPI or npm
        repository only, ``trust_remote_names`` a virtual one (None: not given)."""
        self._access.require_admin(actor.principal)
        settings: PackageSettings | None = None
        if packages is not None and packages.fields:
            check_package_fields(key, format, kind, packages.fields)
            settings = packages.applied_to(PackageSettings())
        if trust_remote_names is not None:
            check_trust_field(key, format, kind)
            if virtual is not None:
                virtual = dataclasses.replace(virtual, trust_remote_names=trust_remote_names)
        return await self._repositories.create(
            key,
            format=format,
            kind=kind,
            anonymous_read=anonymous_read,
            description=description,
            immutable_tags=immutable_tags,
            quota_bytes=quota_bytes,
            remote=remote,
            virtual=virtual,
            packages=settings,
            effects=self._recorded(actor, "repository.create", key, 201),
        )

    async def update(
        self,
        actor: Actor,
        key: str,
        *,
        anonymous_read: bool | None = None,
        description: str | None = None,
        immutable_tags: bool | None = None,
        quota_bytes: int | Keep | None = KEEP,
        remote: RemoteChange | None = None,
        virtual: VirtualChange | None = None,
        packages: PackageChange | None = None,
    ) -> RepositoryRecord:
        """Change the settings given (None: keep; KEEP for the quota; ``remote`` and
        ``virtual`` only for a repository of that kind, ``packages`` only for a local PyPI
        or npm one); recorded even when nothing changes."""
        record = await self._repositories.get(key)
        self._access.check(actor.principal, record, Action.MANAGE)
        if not isinstance(quota_bytes, Keep):
            self._access.require_admin(actor.principal)  # who may push must not lift it
        new_remote: Remote | None = None
        new_virtual: Virtual | None = None
        if remote is not None:
            current_remote = remote_of(record)
            if remote.needs_admin(current_remote):  # where content and the password go
                self._access.require_admin(actor.principal)
            new_remote = remote.applied_to(current_remote)
        new_packages: PackageSettings | None = None
        if packages is not None and packages.fields:
            check_package_fields(key, record.format, record.kind, packages.fields)
            current_packages = settings_of(record)
            new_packages = packages.applied_to(current_packages)
            if new_packages != current_packages:  # what a release repository guarantees
                self._access.require_admin(actor.principal)
        if virtual is not None:
            if virtual.trust_remote_names is not None:
                check_trust_field(key, record.format, record.kind)
            current_virtual = virtual_of(record)
            if virtual.needs_admin(current_virtual):  # what it exposes, where pushes land
                self._access.require_admin(actor.principal)
            new_virtual = virtual.applied_to(current_virtual)
        return await self._repositories.update(
            key,
            anonymous_read=anonymous_read,
            description=description,
            immutable_tags=immutable_tags,
            quota_bytes=quota_bytes,
            remote=new_remote,
            virtual=new_virtual,
            packages=new_packages,
            effects=self._recorded(actor, "repository.update", key, 200),
        )

    async def delete(
        self, actor: Actor, key: str, *, force: bool = False, confirm: str | None = None
    ) -> Holdings:
        """Delete the repository and all it holds; returns what that was. One that holds
        artifacts goes only with ``force``, and one with immutable tags also needs its key
        typed back as ``confirm``: checked in the transaction of the delete, so a push that
        lands first is counted, and refused otherwise."""
        self._access.require_admin(actor.principal)
        record = await self._repositories.get(key)
        await self._refuse_member(key)

        def check(held: Holdings) -> None:
            refuse_delete(record, held, force=force, confirm=confirm)

        def effects_of(held: Holdings) -> Effects:
            return self._audit.entry(
                actor,
                "repository.delete",
                f"repositories/{key}",
                status=200,
                repository=key,
                detail=f"removed {held}",
            )

        return await self._repositories.remove(key, check, effects_of)

    async def _refuse_member(self, key: str) -> None:
        """Refuse to delete a member of a virtual repository: that would change what the
        virtual one resolves, which only its own update does."""
        virtuals = [
            record.key
            for record in await self._repositories.all()
            if record.virtual is not None and key in record.virtual.members
        ]
        if virtuals:
            raise Conflict(
                f"repository {key!r} is a member of virtual repository {virtuals[0]!r}: "
                f"give {virtuals[0]!r} its members without it first (`cargohold repo update "
                f"{virtuals[0]} --member …`)",
                {"virtualRepositories": virtuals},
            )


def refuse_delete(
    record: RepositoryRecord, held: Holdings, *, force: bool, confirm: str | None
) -> None:
    """Raise RepositoryNotEmpty unless deleting ``record``, which holds ``held``, was asked
    for as firmly as it needs: an empty one with nothing, one that holds artifacts with
    ``force``, one with immutable tags that holds artifacts also with its key as
    ``confirm``."""
    if not held:
        return
    key = record.key
    counts = {"tags": held.tags, "manifests": held.manifests, "files": held.files}
    if not force:
        extra = f" --confirm {key}" if record.immutable_tags else ""
        raise RepositoryNotEmpty(
            f"repository {key!r} holds {held}: delete it with everything in it by passing "
            f"force (`cargohold repo delete {key} --force{extra}`, or ?force=true"
            f"{'&confirm=' + key if extra else ''})",
            counts,
        )
    if record.immutable_tags and confirm != key:
        typed = "" if confirm is None else f" ({confirm!r} does not match)"
        raise RepositoryNotEmpty(
            f"repository {key!r} has immutable tags and holds {held}: type its key back to "
            f"delete it{typed} (`cargohold repo delete {key} --force --confirm {key}`, or "
            f"?force=true&confirm={key})",
            {**counts, "immutableTags": True},
        )


__all__ = ["RepositoryAdministration", "refuse_delete"]

"""Users, groups and permissions: the accounts and who may do what, managed by
administrators; each change commits its audit record with it."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from anyio import to_thread

from cargohold.core.errors import BadRequest, Conflict, Denied, ResourceUnknown
from cargohold.core.names import ACCOUNT_NAME
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import GroupRecord, PermissionRecord, TokenRecord, UserRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.passwords import hash_password
from cargohold.registry.identity.permissions import Principal, parse_actions, validate_pattern
from cargohold.registry.identity.tokens import ApiTokens

MIN_PASSWORD = 8


def validate_name(kind: str, name: object) -> str:
    if not isinstance(name, str) or not ACCOUNT_NAME.match(name):
        raise BadRequest(
            f"{str(name)[:80]!r} is not a valid {kind} name: letters, digits, '.', '_', '@', "
            "'-', starting with a letter or digit, at most 128 characters"
        )
    return name


def validate_password(password: object) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise BadRequest(f"a password must be a string of at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise BadRequest("a password must be at most 1024 characters")
    return password


@dataclass(frozen=True, slots=True)
class CallerAccount:
    """The caller's own account, its groups, and the API token it called with (if any)."""

    user: UserRecord
    groups: tuple[str, ...]
    token: TokenRecord | None


class Identity:
    """Accounts, groups and permissions, for administrators (and a user for its own account).
    Each change commits its audit record with it."""

    def __init__(
        self,
        meta: MetadataStore,
        clock: Callable[[], float],
        access: AccessControl,
        audit: AuditLog,
        tokens: ApiTokens,
    ) -> None:
        self._meta = meta
        self._clock = clock
        self._access = access
        self._audit = audit
        self._tokens = tokens

    def _recorded(self, actor: Actor, action: str, target: str, status: int) -> Effects:
        return self._audit.entry(actor, action, target, status=status)

    # users

    async def create_user(
        self,
        actor: Actor,
        name: str,
        password: str | None,
        *,
        admin: bool = False,
        service: bool = False,
        email: str | None = None,
    ) -> UserRecord:
        self._access.require_admin(actor.principal)
        validate_name("user", name)
        if service:
            if password is not None:
                raise BadRequest(
                    "a service account has no password: it signs in with API tokens an "
                    "administrator creates for it"
                )
            hashed = None
        else:
            hashed = await to_thread.run_sync(hash_password, validate_password(password))
        record = UserRecord(name, hashed, admin, service, email, self._clock())
        effects = self._recorded(actor, "user.create", f"users/{name}", 201)
        if not await to_thread.run_sync(self._meta.users.create, record, effects):
            raise Conflict(f"user {name!r} already exists")
        return record

    def _self_or_admin(self, principal: Principal | None, name: str) -> Principal:
        """A user may see and change its own account; an administrator, any."""
        user = self._access.require_user(principal)
        if user.name != name:
            self._access.require_admin(principal)
        return user

    async def me(self, principal: Principal | None) -> CallerAccount:
        """The caller's account, as any signed-in user may see its own."""
        user = self._access.require_user(principal)
        record = await self._user(user.name)
        token = None if user.token_id is None else await self._tokens.get(user.token_id)
        return CallerAccount(record, user.groups, token)

    async def get_user(self, principal: Principal | None, name: str) -> UserRecord:
        self._self_or_admin(principal, name)
        return await self._user(name)

    async def _user(self, name: str) -> UserRecord:
        record = await to_thread.run_sync(self._meta.users.get, name)
        if record is None:
            raise ResourceUnknown(f"user {name[:128]!r} does not exist")
        return record

    async def users(
        self, principal: Principal | None, after: str | None, limit: int
    ) -> list[tuple[UserRecord, tuple[str, ...]]]:
        """A page of users, each with the groups it belongs to."""
        self._access.require_admin(principal)

        def load() -> list[tuple[UserRecord, tuple[str, ...]]]:
            records = self._meta.users.page(after, limit)
            groups = self._meta.users.memberships(r.name for r in records)
            return [(r, groups[r.name]) for r in records]

        return await to_thread.run_sync(load)

    async def groups_of(self, principal: Principal | None, name: str) -> tuple[str, ...]:
        self._self_or_admin(principal, name)
        return await to_thread.run_sync(self._meta.users.groups_of, name)

    async def update_user(
        self,
        actor: Actor,
        name: str,
        *,
        password: str | None = None,
        admin: bool | None = None,
        email: str | None = None,
    ) -> UserRecord:
        caller = self._self_or_admin(actor.principal, name)
        if not caller.is_admin:
            if admin is not None:
                raise Denied("only an administrator can change who is an administrator")
            if caller.scopes is not None:
                raise Denied("a scoped API token cannot change its account; use a password")
        current = await self._user(name)
        changes: dict[str, Any] = {}
        if password is not None:
            if current.service:
                raise BadRequest("a service account has no password; create an API token")
            if current.directory:
                raise BadRequest(
                    f"{name!r} logs in through the user directory (LDAP): change the password there"
                )
            changes["password_hash"] = await to_thread.run_sync(
                hash_password, validate_password(password)
            )
        if admin is not None:
            if not admin and current.admin:
                await self._keep_an_admin(name)
            changes["admin"] = admin
        if email is not None:
            changes["email"] = email
        effects = self._recorded(actor, "user.update", f"users/{name}", 200)
        if changes:
            await to_thread.run_sync(self._meta.users.update, name, changes, effects)
        else:
            await to_thread.run_sync(self._meta.effects.commit, effects)
        return await self._user(name)

    async def delete_user(self, actor: Actor, name: str) -> None:
        self._access.require_admin(actor.principal)
        current = await self._user(name)
        if current.admin:
            await self._keep_an_admin(name)
        effects = self._recorded(actor, "user.delete", f"users/{name}", 204)
        if not await to_thread.run_sync(self._meta.users.delete, name, effects):
            raise ResourceUnknown(f"user {name[:128]!r} does not exist")

    async def _keep_an_admin(self, name: str) -> None:
        if await to_thread.run_sync(lambda: self._meta.users.count(admin=True)) <= 1:
            raise Conflict(f"{name!r} is the last administrator; make another one first")

    # groups

    async def create_group(
        self, actor: Actor, name: str, description: str, members: Iterable[str]
    ) -> GroupRecord:
        self._access.require_admin(actor.principal)
        validate_name("group", name)
        members = tuple(sorted(set(members)))
        await self._existing_users(members)
        record = GroupRecord(name, description, members, self._clock())
        effects = self._recorded(actor, "group.create", f"groups/{name}", 201)
        if not await to_thread.run_sync(self._meta.groups.create, record, effects):
            raise Conflict(f"group {name!r} already exists")
        return await self._group(name)

    async def get_group(self, principal: Principal | None, name: str) -> GroupRecord:
        self._access.require_admin(principal)
        return await self._group(name)

    async def _group(self, name: str) -> GroupRecord:
        record = await to_thread.run_sync(self._meta.groups.get, name)
        if record is None:
            raise ResourceUnknown(f"group {name[:128]!r} does not exist")
        return record

    async def groups(
        self, principal: Principal | None, after: str | None, limit: int
    ) -> list[GroupRecord]:
        self._access.require_admin(principal)
        return await to_thread.run_sync(self._meta.groups.page, after, limit)

    async def update_group(
        self,
        actor: Actor,
        name: str,
        *,
        description: str | None = None,
        members: Iterable[str] | None = None,
        add: Iterable[str] = (),
        remove: Iterable[str] = (),
    ) -> GroupRecord:
        self._access.require_admin(actor.principal)
        members = None if members is None else tuple(members)
        add = tuple(add)
        await self._existing_users((*(members or ()), *add))
        effects = self._recorded(actor, "group.update", f"groups/{name}", 200)

        def update() -> bool:
            return self._meta.groups.update(
                name,
                description=description,
                add=add,
                remove=tuple(remove),
                replace=members,
                effects=effects,
            )

        if not await to_thread.run_sync(update):
            raise ResourceUnknown(f"group {name[:128]!r} does not exist")
        return await self._group(name)

    async def delete_group(self, actor: Actor, name: str) -> None:
        self._access.require_admin(actor.principal)
        effects = self._recorded(actor, "group.delete", f"groups/{name}", 204)
        if not await to_thread.run_sync(self._meta.groups.delete, name, effects):
            raise ResourceUnknown(f"group {name[:128]!r} does not exist")

    async def _existing_users(self, names: Iterable[str]) -> None:
        for name in names:
            if await to_thread.run_sync(self._meta.users.get, validate_name("user", name)) is None:
                raise BadRequest(f"user {name!r} does not exist")

    # permissions

    async def grant(
        self,
        actor: Actor,
        principal: str,
        repositories: Iterable[object],
        actions: Iterable[object],
    ) -> PermissionRecord:
        self._access.require_admin(actor.principal)
        kind, sep, name = principal.partition(":")
        if not sep or kind not in ("user", "group"):
            raise BadRequest(f"principal {principal[:80]!r} must be 'user:NAME' or 'group:NAME'")
        if kind == "user":
            await self._user(name)
        else:
            await self._group(name)
        patterns = tuple(dict.fromkeys(validate_pattern(r) for r in repositories))
        if not patterns:
            raise BadRequest("at least one repository key or pattern is required")
        granted = tuple(sorted(a.value for a in parse_actions(actions)))
        record = PermissionRecord(secrets.token_hex(8), principal, patterns, granted, self._clock())
        effects = self._recorded(actor, "permission.create", f"permissions/{record.id}", 201)
        await to_thread.run_sync(self._meta.permissions.create, record, effects)
        return record

    async def permissions(
        self, caller: Principal | None, principal: str | None, after: str | None, limit: int
    ) -> list[PermissionRecord]:
        self._access.require_admin(caller)
        return await to_thread.run_sync(self._meta.permissions.page, principal, after, limit)

    async def get_permission(self, caller: Principal | None, id: str) -> PermissionRecord:
        self._access.require_admin(caller)
        record = await to_thread.run_sync(self._meta.permissions.get, id)
        if record is None:
            raise ResourceUnknown(f"permission {id[:40]!r} does not exist")
        return record

    async def revoke(self, actor: Actor, id: str) -> None:
        self._access.require_admin(actor.principal)
        effects = self._recorded(actor, "permission.delete", f"permissions/{id}", 204)
        if not await to_thread.run_sync(self._meta.permissions.delete, id, effects):
            raise ResourceUnknown(f"permission {id[:40]!r} does not exist")


__all__ = ["MIN_PASSWORD", "CallerAccount", "Identity", "validate_name", "validate_password"]

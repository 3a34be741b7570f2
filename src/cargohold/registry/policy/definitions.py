"""Policies and watches as administrators define them: create, change and delete (each change
commits its audit record with it); any signed-in user may read them, to learn why a pull was
refused. What they decide, for a download, a promotion or a scan, is ``policies``' part.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from anyio import to_thread

from cargohold.core.errors import BadRequest, Conflict, ResourceUnknown
from cargohold.meta.store import MetadataStore
from cargohold.records.policy import PolicyRecord, WatchRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Principal, validate_pattern
from cargohold.registry.policy.policies import Policies
from cargohold.registry.policy.rules import Actions, Rules

MAX_DESCRIPTION = 1000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True, slots=True)
class NewPolicy:
    """What an administrator asks for in creating a policy (rules and actions as sent)."""

    name: str
    rules: object
    actions: object
    description: str = ""


@dataclass(frozen=True, slots=True)
class PolicyChanges:
    """What an administrator changes of a policy (None: leave it); ``rules`` and
    ``actions`` each replace the whole object."""

    rules: object = None
    actions: object = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class NewWatch:
    """What an administrator asks for in creating a watch."""

    name: str
    repositories: list[str]
    policies: list[str]
    description: str = ""


@dataclass(frozen=True, slots=True)
class WatchChanges:
    """What an administrator changes of a watch (None: leave it)."""

    repositories: list[str] | None = None
    policies: list[str] | None = None
    description: str | None = None


def validate_name(value: object, what: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise BadRequest(
            f"{what} name {str(value)[:60]!r} must be 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return value


class PolicyDefinitions:
    """Policies and watches: read by any signed-in user, changed by administrators."""

    def __init__(
        self,
        meta: MetadataStore,
        clock: Callable[[], float],
        access: AccessControl,
        audit: AuditLog,
        policies: Policies,
    ) -> None:
        self._meta = meta
        self._clock = clock
        self._access = access
        self._audit = audit
        self._policies = policies

    # --- policies -----------------------------------------------------------------------

    async def create_policy(
        self, actor: Actor, read_policy: Callable[[], Awaitable[NewPolicy]]
    ) -> PolicyRecord:
        """Create the policy ``read_policy`` returns (read once the caller may)."""
        admin = self._access.require_admin(actor.principal)
        new = await read_policy()
        if new.name == "exceptions":  # /policies/exceptions is the list of exceptions
            raise BadRequest("a policy cannot be named 'exceptions'")
        now = self._clock()
        record = PolicyRecord(
            name=validate_name(new.name, "policy"),
            description=_description(new.description),
            rules=Rules.parse(new.rules).json(),
            actions=Actions.parse(new.actions).json(),
            created_at=now,
            updated_at=now,
            created_by=admin.name,
        )
        effects = self._audit.entry(actor, "policy.create", f"policies/{record.name}", status=201)
        if not await to_thread.run_sync(self._meta.policies.create_policy, record, effects):
            raise Conflict(f"a policy named {record.name!r} exists already")
        return record

    async def get_policy(self, principal: Principal | None, name: str) -> PolicyRecord:
        self._access.require_user(principal)
        record = await to_thread.run_sync(self._meta.policies.get_policy, name)
        if record is None:
            raise ResourceUnknown(f"policy {name[:128]!r} does not exist")
        return record

    async def policies(self, principal: Principal | None) -> list[PolicyRecord]:
        """Every policy, by name."""
        self._access.require_user(principal)
        return await self._policies.policies()

    async def update_policy(
        self, actor: Actor, name: str, read_changes: Callable[[], Awaitable[PolicyChanges]]
    ) -> PolicyRecord:
        """Apply the changes ``read_changes`` returns (read once the caller may)."""
        self._access.require_admin(actor.principal)
        changes = await read_changes()
        values: dict[str, Any] = {"updated_at": self._clock()}
        if changes.rules is not None:
            values["rules"] = Rules.parse(changes.rules).json()
        if changes.actions is not None:
            values["actions"] = Actions.parse(changes.actions).json()
        if changes.description is not None:
            values["description"] = _description(changes.description)
        effects = self._audit.entry(actor, "policy.update", f"policies/{name}")
        record = await to_thread.run_sync(self._meta.policies.update_policy, name, values, effects)
        if record is None:
            raise ResourceUnknown(f"policy {name[:128]!r} does not exist")
        return record

    async def delete_policy(self, actor: Actor, name: str) -> None:
        self._access.require_admin(actor.principal)
        effects = self._audit.entry(actor, "policy.delete", f"policies/{name}", status=204)
        deleted, users = await to_thread.run_sync(self._meta.policies.delete_policy, name, effects)
        if users:
            raise Conflict(
                f"policy {name!r} is applied by watch {', '.join(map(repr, users))}: remove it "
                "from the watch first",
                {"watches": users},
            )
        if not deleted:
            raise ResourceUnknown(f"policy {name[:128]!r} does not exist")

    # --- watches ------------------------------------------------------------------------

    async def create_watch(
        self, actor: Actor, read_watch: Callable[[], Awaitable[NewWatch]]
    ) -> WatchRecord:
        """Create the watch ``read_watch`` returns (read once the caller may)."""
        admin = self._access.require_admin(actor.principal)
        new = await read_watch()
        now = self._clock()
        record = WatchRecord(
            name=validate_name(new.name, "watch"),
            description=_description(new.description),
            repositories=_patterns(new.repositories),
            policies=await self._known_policies(new.policies),
            created_at=now,
            updated_at=now,
            created_by=admin.name,
        )
        effects = self._audit.entry(actor, "watch.create", f"watches/{record.name}", status=201)
        if not await to_thread.run_sync(self._meta.policies.create_watch, record, effects):
            raise Conflict(f"a watch named {record.name!r} exists already")
        return record

    async def get_watch(self, principal: Principal | None, name: str) -> WatchRecord:
        self._access.require_user(principal)
        record = await to_thread.run_sync(self._meta.policies.get_watch, name)
        if record is None:
            raise ResourceUnknown(f"watch {name[:128]!r} does not exist")
        return record

    async def watches(self, principal: Principal | None) -> list[WatchRecord]:
        """Every watch, by name."""
        self._access.require_user(principal)
        return await self._policies.watches()

    async def update_watch(
        self, actor: Actor, name: str, read_changes: Callable[[], Awaitable[WatchChanges]]
    ) -> WatchRecord:
        """Apply the changes ``read_changes`` returns (read once the caller may)."""
        self._access.require_admin(actor.principal)
        changes = await read_changes()
        values: dict[str, Any] = {"updated_at": self._clock()}
        if changes.repositories is not None:
            values["repositories"] = _patterns(changes.repositories)
        if changes.policies is not None:
            values["policies"] = await self._known_policies(changes.policies)
        if changes.description is not None:
            values["description"] = _description(changes.description)
        effects = self._audit.entry(actor, "watch.update", f"watches/{name}")
        record = await to_thread.run_sync(self._meta.policies.update_watch, name, values, effects)
        if record is None:
            raise ResourceUnknown(f"watch {name[:128]!r} does not exist")
        return record

    async def delete_watch(self, actor: Actor, name: str) -> None:
        self._access.require_admin(actor.principal)
        effects = self._audit.entry(actor, "watch.delete", f"watches/{name}", status=204)
        if not await to_thread.run_sync(self._meta.policies.delete_watch, name, effects):
            raise ResourceUnknown(f"watch {name[:128]!r} does not exist")

    async def _known_policies(self, names: list[str]) -> tuple[str, ...]:
        wanted = tuple(dict.fromkeys(validate_name(n, "policy") for n in names))
        if not wanted:
            raise BadRequest("'policies' needs at least one policy name")
        known = {p.name for p in await to_thread.run_sync(self._meta.policies.all_policies)}
        missing = [n for n in wanted if n not in known]
        if missing:
            raise ResourceUnknown(
                f"policy {missing[0]!r} does not exist; create it first (POST /api/v1/policies)"
            )
        return wanted


def _description(value: str) -> str:
    if len(value) > MAX_DESCRIPTION:
        raise BadRequest(f"'description' must be at most {MAX_DESCRIPTION} characters")
    return value


def _patterns(values: list[str]) -> tuple[str, ...]:
    patterns = tuple(dict.fromkeys(validate_pattern(v) for v in values))
    if not patterns:
        raise BadRequest("'repositories' needs at least one key or pattern, e.g. ['prod']")
    return patterns


__all__ = [
    "MAX_DESCRIPTION",
    "NewPolicy",
    "NewWatch",
    "PolicyChanges",
    "PolicyDefinitions",
    "WatchChanges",
    "validate_name",
]

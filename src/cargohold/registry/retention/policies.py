"""Retention policies as administrators define them: create, list, show, delete; each
change commits its audit record with it. Only administrators see them: they say what
goes from every repository they cover."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from anyio import to_thread

from cargohold.core.errors import Conflict, ResourceUnknown
from cargohold.meta.store import MetadataStore
from cargohold.records.retention import RetentionPolicyRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.retention.rules import (
    NewRetentionPolicy,
    description,
    image_pattern,
    parse_rules,
    repository_patterns,
    validate_name,
)


class RetentionPolicies:
    def __init__(
        self,
        meta: MetadataStore,
        clock: Callable[[], float],
        access: AccessControl,
        audit: AuditLog,
    ) -> None:
        self._meta = meta
        self._clock = clock
        self._access = access
        self._audit = audit

    async def create(
        self, actor: Actor, read_policy: Callable[[], Awaitable[NewRetentionPolicy]]
    ) -> RetentionPolicyRecord:
        """Create the policy ``read_policy`` returns (read once the caller may)."""
        admin = self._access.require_admin(actor.principal)
        new = await read_policy()
        now = self._clock()
        record = RetentionPolicyRecord(
            id=secrets.token_hex(8),
            name=validate_name(new.name),
            description=description(new.description),
            repositories=repository_patterns(new.repositories),
            images=image_pattern(new.images),
            rules=parse_rules(new.rules),
            enabled=new.enabled,
            created_at=now,
            updated_at=now,
            created_by=admin.name,
        )
        effects = self._audit.entry(
            actor, "retention.create", f"retention/{record.name}", status=201
        )
        if not await to_thread.run_sync(self._meta.retention.create, record, effects):
            raise Conflict(f"a retention policy named {record.name!r} exists already")
        return record

    async def get(self, principal: Principal | None, id_or_name: str) -> RetentionPolicyRecord:
        self._access.require_admin(principal)
        record = await to_thread.run_sync(self._meta.retention.get, id_or_name)
        if record is None:
            raise ResourceUnknown(f"retention policy {id_or_name[:128]!r} does not exist")
        return record

    async def list(self, principal: Principal | None) -> list[RetentionPolicyRecord]:
        """Every policy, by name."""
        self._access.require_admin(principal)
        return await to_thread.run_sync(self._meta.retention.all)

    async def delete(self, actor: Actor, id_or_name: str) -> None:
        self._access.require_admin(actor.principal)
        effects = self._audit.entry(
            actor, "retention.delete", f"retention/{id_or_name}", status=204
        )
        if await to_thread.run_sync(self._meta.retention.delete, id_or_name, effects) is None:
            raise ResourceUnknown(f"retention policy {id_or_name[:128]!r} does not exist")


__all__ = ["RetentionPolicies"]

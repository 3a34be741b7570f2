"""Queries on policies, watches and policy exceptions, and the facts about one artifact that
a policy is evaluated on: its findings (with the component and the advisory's aliases), its
licensed components, and the exceptions granted for it.

Rules and actions are stored as JSON objects, validated by the registry layer; a watch names
its repositories (keys or patterns) and its policies as JSON lists. Each change an
administrator makes commits its effects (its audit record) with it, and a refused one none.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.schema import (
    advisories,
    findings,
    manifest_refs,
    policies,
    policy_exceptions,
    scan_components,
    watches,
)
from cargohold.meta.upsert import insert_new
from cargohold.records.policy import (
    ArtifactFacts,
    ExceptionRecord,
    FindingFact,
    LicensedComponent,
    PolicyRecord,
    WatchRecord,
)


class PolicyQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    # --- policies -----------------------------------------------------------------------

    def create_policy(self, record: PolicyRecord, effects: Effects = NO_EFFECTS) -> bool:
        """Store a new policy, with ``effects``; False when one of that name exists."""
        with self._engine.begin() as connection:
            if not insert_new(connection, policies, _policy_columns(record)):
                return False
            commit_in(connection, effects)
        return True

    def get_policy(self, name: str) -> PolicyRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(policies).where(policies.c.name == name)).first()
        return None if row is None else _policy(row)

    def all_policies(self) -> list[PolicyRecord]:
        with reading(self._engine) as connection:
            rows = connection.execute(sa.select(policies).order_by(policies.c.name))
            return [_policy(row) for row in rows]

    def update_policy(
        self, name: str, changes: Mapping[str, Any], effects: Effects = NO_EFFECTS
    ) -> PolicyRecord | None:
        """Change the policy, with ``effects``; None when there is none."""
        values = dict(changes)
        for column in ("rules", "actions"):
            if column in values:
                values[column] = json.dumps(dict(values[column]), sort_keys=True)
        with self._engine.begin() as connection:
            if values:
                connection.execute(policies.update().where(policies.c.name == name).values(values))
            row = connection.execute(sa.select(policies).where(policies.c.name == name)).first()
            if row is not None:
                commit_in(connection, effects)
        return None if row is None else _policy(row)

    def delete_policy(self, name: str, effects: Effects = NO_EFFECTS) -> tuple[bool, list[str]]:
        """Delete the policy, with ``effects``, unless a watch applies it; (deleted, the
        watches applying it)."""
        with self._engine.begin() as connection:
            users = [w.name for w in _watches(connection) if name in w.policies]
            if users:
                return False, users
            result = connection.execute(policies.delete().where(policies.c.name == name))
            if result.rowcount > 0:
                commit_in(connection, effects)
        return result.rowcount > 0, []

    # --- watches ------------------------------------------------------------------------

    def create_watch(self, record: WatchRecord, effects: Effects = NO_EFFECTS) -> bool:
        """Store a new watch, with ``effects``; False when one of that name exists."""
        with self._engine.begin() as connection:
            if not insert_new(connection, watches, _watch_columns(record)):
                return False
            commit_in(connection, effects)
        return True

    def get_watch(self, name: str) -> WatchRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(watches).where(watches.c.name == name)).first()
        return None if row is None else _watch(row)

    def all_watches(self) -> list[WatchRecord]:
        with reading(self._engine) as connection:
            return _watches(connection)

    def update_watch(
        self, name: str, changes: Mapping[str, Any], effects: Effects = NO_EFFECTS
    ) -> WatchRecord | None:
        """Change the watch, with ``effects``; None when there is none."""
        values = dict(changes)
        for column in ("repositories", "policies"):
            if column in values:
                values[column] = json.dumps(list(values[column]))
        with self._engine.begin() as connection:
            if values:
                connection.execute(watches.update().where(watches.c.name == name).values(values))
            row = connection.execute(sa.select(watches).where(watches.c.name == name)).first()
            if row is not None:
                commit_in(connection, effects)
        return None if row is None else _watch(row)

    def delete_watch(self, name: str, effects: Effects = NO_EFFECTS) -> bool:
        """Delete the watch, with ``effects``; False when there is none."""
        with self._engine.begin() as connection:
            result = connection.execute(watches.delete().where(watches.c.name == name))
            if result.rowcount > 0:
                commit_in(connection, effects)
        return result.rowcount > 0

    # --- exceptions ---------------------------------------------------------------------

    def add_exception(self, record: ExceptionRecord, effects: Effects = NO_EFFECTS) -> None:
        """Insert, with ``effects``."""
        with self._engine.begin() as connection:
            connection.execute(policy_exceptions.insert().values(**_exception_columns(record)))
            commit_in(connection, effects)

    def get_exception(self, exception_id: str) -> ExceptionRecord | None:
        query = sa.select(policy_exceptions).where(policy_exceptions.c.id == exception_id)
        with reading(self._engine) as connection:
            row = connection.execute(query).first()
        return None if row is None else _exception(row)

    def exceptions_page(
        self,
        *,
        digest: str | None,
        expired: bool | None,
        now: float,
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[ExceptionRecord]:
        """Exceptions newest first, after the (created_at, id) the previous page ended at."""
        e = policy_exceptions.c
        query = sa.select(policy_exceptions).order_by(e.created_at.desc(), e.id.desc())
        if digest is not None:
            query = query.where(e.digest == digest)
        if expired is not None:
            query = query.where(e.expires_at <= now if expired else e.expires_at > now)
        if before is not None:
            query = query.where(sa.tuple_(e.created_at, e.id) < sa.tuple_(*before))
        with reading(self._engine) as connection:
            return [_exception(row) for row in connection.execute(query.limit(limit))]

    def delete_exception(self, exception_id: str, effects: Effects = NO_EFFECTS) -> bool:
        """Delete the exception, with ``effects``; False when there is none."""
        with self._engine.begin() as connection:
            result = connection.execute(
                policy_exceptions.delete().where(policy_exceptions.c.id == exception_id)
            )
            if result.rowcount > 0:
                commit_in(connection, effects)
        return result.rowcount > 0

    # --- what an evaluation reads -------------------------------------------------------

    def facts(self, digest: str) -> ArtifactFacts:
        """The findings, licensed components and exceptions of ``digest``. An exception
        granted on an image index also covers the manifests it lists, which a client pulls
        by digest after the index."""
        f, c = findings.c, scan_components.c
        found = (
            sa.select(f.advisory_id, f.severity, c.name, c.version, advisories.c.aliases)
            .join(scan_components, sa.and_(c.digest == f.digest, c.seq == f.seq))
            .join(advisories, advisories.c.id == f.advisory_id, isouter=True)
            .where(f.digest == digest)
            .order_by(f.advisory_id, f.seq)
        )
        licensed = (
            sa.select(c.name, c.version, c.licenses)
            .where(c.digest == digest, c.visible, c.licenses != "[]")
            .order_by(c.seq)
        )
        parents = sa.select(manifest_refs.c.digest).where(manifest_refs.c.child == digest)
        granted = sa.select(policy_exceptions).where(
            sa.or_(policy_exceptions.c.digest == digest, policy_exceptions.c.digest.in_(parents))
        )
        with reading(self._engine) as connection:
            facts = tuple(
                FindingFact(
                    row.advisory_id,
                    row.severity,
                    tuple(json.loads(row.aliases)) if row.aliases else (),
                    row.name,
                    row.version,
                )
                for row in connection.execute(found)
            )
            components = tuple(
                LicensedComponent(row.name, row.version, tuple(json.loads(row.licenses)))
                for row in connection.execute(licensed)
            )
            exceptions = tuple(_exception(row) for row in connection.execute(granted))
        return ArtifactFacts(facts, components, exceptions)


def _watches(connection: sa.Connection) -> list[WatchRecord]:
    return [_watch(row) for row in connection.execute(sa.select(watches).order_by(watches.c.name))]


def _policy_columns(record: PolicyRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "description": record.description,
        "rules": json.dumps(dict(record.rules), sort_keys=True),
        "actions": json.dumps(dict(record.actions), sort_keys=True),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "created_by": record.created_by,
    }


def _policy(row: sa.Row[Any]) -> PolicyRecord:
    return PolicyRecord(
        name=row.name,
        description=row.description,
        rules=json.loads(row.rules),
        actions=json.loads(row.actions),
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
    )


def _watch_columns(record: WatchRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "description": record.description,
        "repositories": json.dumps(list(record.repositories)),
        "policies": json.dumps(list(record.policies)),
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "created_by": record.created_by,
    }


def _watch(row: sa.Row[Any]) -> WatchRecord:
    return WatchRecord(
        name=row.name,
        description=row.description,
        repositories=tuple(json.loads(row.repositories)),
        policies=tuple(json.loads(row.policies)),
        created_at=row.created_at,
        updated_at=row.updated_at,
        created_by=row.created_by,
    )


def _exception_columns(record: ExceptionRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "digest": record.digest,
        "advisory": record.advisory,
        "policy": record.policy,
        "reason": record.reason,
        "expires_at": record.expires_at,
        "created_at": record.created_at,
        "created_by": record.created_by,
    }


def _exception(row: sa.Row[Any]) -> ExceptionRecord:
    return ExceptionRecord(
        id=row.id,
        digest=row.digest,
        advisory=row.advisory,
        policy=row.policy,
        reason=row.reason,
        expires_at=row.expires_at,
        created_at=row.created_at,
        created_by=row.created_by,
    )


__all__ = ["PolicyQueries"]

"""Queries on ``remote_checks``: when a remote repository last asked its upstream what a
mutable name (a tag) points to, and the answer."""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.schema import remote_checks
from cargohold.meta.upsert import upsert
from cargohold.records.remote import Check


class RemoteCheckQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def get(self, repository: str, name: str, reference: str) -> Check | None:
        with reading(self._engine) as connection:
            row = connection.execute(
                sa.select(remote_checks.c.digest, remote_checks.c.checked_at).where(
                    remote_checks.c.repository == repository,
                    remote_checks.c.name == name,
                    remote_checks.c.reference == reference,
                )
            ).first()
        return None if row is None else Check(row.digest, row.checked_at)

    def record(self, repository: str, name: str, reference: str, check: Check) -> None:
        """Remember the upstream's answer (a repository deleted meanwhile: nothing)."""
        row = {
            "repository": repository,
            "name": name,
            "reference": reference,
            "digest": check.digest,
            "checked_at": check.checked_at,
        }
        with self._engine.begin() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM repositories WHERE key = :key"), {"key": repository}
            ).first()
            if exists is not None:
                upsert(connection, remote_checks, row, update=("digest", "checked_at"))


__all__ = ["RemoteCheckQueries"]

"""Queries on API tokens (stored as a hash of their secret, never the secret); a creation or
a revocation commits its effects (its audit record) with it."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.effects import NO_EFFECTS, Effects, commit_in
from cargohold.meta.identity.generations import advance
from cargohold.meta.schema import api_tokens, users
from cargohold.records.identity import ScopeRecord, TokenRecord


class TokenQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def create(self, record: TokenRecord, effects: Effects = NO_EFFECTS) -> bool:
        """Insert, with ``effects``; False when the owner does not exist (any more)."""
        scopes = None
        if record.scopes is not None:
            scopes = json.dumps(
                [{"repository": s.repository, "actions": list(s.actions)} for s in record.scopes]
            )
        with self._engine.begin() as connection:
            owner = sa.select(users.c.name).where(users.c.name == record.owner)
            if connection.execute(owner).first() is None:
                return False
            connection.execute(
                api_tokens.insert().values(
                    id=record.id,
                    owner=record.owner,
                    kind=record.kind,
                    description=record.description,
                    secret_hash=record.secret_hash,
                    scopes=scopes,
                    created_at=record.created_at,
                    expires_at=record.expires_at,
                )
            )
            commit_in(connection, effects)
        return True

    def get(self, id: str) -> TokenRecord | None:
        with reading(self._engine) as connection:
            row = connection.execute(sa.select(api_tokens).where(api_tokens.c.id == id)).first()
        return None if row is None else _record(row)

    def page(self, owner: str | None, after: str | None, limit: int) -> list[TokenRecord]:
        query = sa.select(api_tokens).order_by(api_tokens.c.id).limit(limit)
        if owner is not None:
            query = query.where(api_tokens.c.owner == owner)
        if after is not None:
            query = query.where(api_tokens.c.id > after)
        with reading(self._engine) as connection:
            return [_record(row) for row in connection.execute(query)]

    def delete(self, id: str, effects: Effects = NO_EFFECTS) -> bool:
        """Revoke, with ``effects``; False when there is no such token."""
        with self._engine.begin() as connection:
            owner = connection.execute(
                sa.select(api_tokens.c.owner).where(api_tokens.c.id == id)
            ).scalar_one_or_none()
            if owner is None:
                return False
            connection.execute(api_tokens.delete().where(api_tokens.c.id == id))
            advance(connection, [owner])
            commit_in(connection, effects)
        return True

    def delete_expired(self, now: float) -> int:
        with self._engine.begin() as connection:
            result = connection.execute(
                api_tokens.delete().where(
                    api_tokens.c.expires_at.is_not(None), api_tokens.c.expires_at < now
                )
            )
        return int(result.rowcount)


def _record(row: sa.Row[Any]) -> TokenRecord:
    scopes = None
    if row.scopes is not None:
        scopes = tuple(
            ScopeRecord(s["repository"], tuple(s["actions"])) for s in json.loads(row.scopes)
        )
    return TokenRecord(
        id=row.id,
        owner=row.owner,
        kind=row.kind,
        description=row.description,
        secret_hash=row.secret_hash,
        scopes=scopes,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


__all__ = ["TokenQueries"]

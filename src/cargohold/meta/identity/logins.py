"""Queries on failed logins, counted per key (a user name, a client address)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa

from cargohold.meta.database import reading
from cargohold.meta.schema import login_failures
from cargohold.meta.upsert import upsert


class LoginFailureQueries:
    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def locked_until(self, keys: Sequence[str]) -> float:
        """The latest time until which any of ``keys`` is locked (0 when none is)."""
        query = sa.select(sa.func.max(login_failures.c.locked_until)).where(
            login_failures.c.key.in_(list(keys))
        )
        with reading(self._engine) as connection:
            return float(connection.execute(query).scalar_one() or 0.0)

    def locks(self, now: float) -> dict[str, float]:
        """Every key locked after ``now``, with until when."""
        query = sa.select(login_failures.c.key, login_failures.c.locked_until).where(
            login_failures.c.locked_until > now
        )
        with reading(self._engine) as connection:
            return {row.key: float(row.locked_until) for row in connection.execute(query)}

    def fail(
        self,
        keys: Sequence[str],
        now: float,
        forget_after: float,
        lock_for: Callable[[int], float],
    ) -> None:
        """Count one more failure for each key; failures older than ``forget_after`` are
        forgotten, and ``lock_for(failures)`` says for how long the key is locked.

        The counts read are locked until the new ones are written, so failures counted at
        once on several nodes add up (SQLite has one writer at a time anyway)."""
        with self._engine.begin() as connection:
            rows = connection.execute(
                sa.select(login_failures)
                .where(login_failures.c.key.in_(sorted(keys)))
                .order_by(login_failures.c.key)
                .with_for_update()
            )
            known = {row.key: row for row in rows}
            for key in keys:
                row = known.get(key)
                failures = 1
                if row is not None and now - row.last_at < forget_after:
                    failures = row.failures + 1
                upsert(
                    connection,
                    login_failures,
                    {
                        "key": key,
                        "failures": failures,
                        "last_at": now,
                        "locked_until": now + lock_for(failures),
                    },
                    update=("failures", "last_at", "locked_until"),
                )

    def clear(self, keys: Sequence[str]) -> None:
        with self._engine.begin() as connection:
            connection.execute(login_failures.delete().where(login_failures.c.key.in_(list(keys))))


__all__ = ["LoginFailureQueries"]

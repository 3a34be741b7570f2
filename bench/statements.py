"""How many statements a PostgreSQL database ran during a benchmark run: its round trips.

Read from ``pg_stat_statements`` (the server must preload it: ``PostgresServer.start(
count_statements=True)``). The extension's view lives in the ``postgres`` database, where
the benchmark's own statements (the reset, the reading) run; only the statements of the
measured database are counted. cargohold talks to PostgreSQL through psycopg without
pipelining, so each statement, ``BEGIN``, ``COMMIT`` and ``ROLLBACK`` included, is one round
trip; a statement that fails is not counted.

The nodes also talk to PostgreSQL while nobody pulls (the job queue's polls, say): the counter
can measure that rate on idle nodes before a run, and reports it with the run's counts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType

import sqlalchemy as sa

TOP = 5
IDLE_SECONDS = 3.0

_TOTAL = sa.text(
    "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements "
    "WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = :database)"
)
_TOP = sa.text(
    "SELECT sum(calls) AS calls, query FROM pg_stat_statements "
    "WHERE toplevel AND dbid = (SELECT oid FROM pg_database WHERE datname = :database) "
    "GROUP BY query ORDER BY calls DESC, query LIMIT :limit"
)


@dataclass(frozen=True, slots=True)
class Statements:
    calls: int
    top: tuple[tuple[int, str], ...]  # (calls, normalised query text), most called first
    idle_per_second: float = 0.0  # sent while nobody pulled, measured before the run


class StatementCounter:
    """The statements run in ``database`` between enter (a reset of the counts of the whole
    server) and exit."""

    def __init__(self, admin_url: str, database: str, top: int = TOP) -> None:
        self._engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        self._database = database
        self._top = top
        self._result: Statements | None = None
        self._idle_per_second = 0.0

    def install(self) -> StatementCounter:
        """Create the extension's view, once per server."""
        with self._engine.connect() as connection:
            connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return self

    def measure_idle(self, seconds: float = IDLE_SECONDS) -> float:
        """Statements per second sent while nobody pulls (the nodes must be idle): reported
        with the counts of the next runs."""
        with self:
            time.sleep(seconds)
        self._idle_per_second = self.result.calls / seconds
        return self._idle_per_second

    def __enter__(self) -> StatementCounter:
        with self._engine.connect() as connection:
            connection.exec_driver_sql("SELECT pg_stat_statements_reset()")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with self._engine.connect() as connection:
            calls = connection.execute(_TOTAL, {"database": self._database}).scalar_one()
            rows = connection.execute(_TOP, {"database": self._database, "limit": self._top})
            top = tuple((int(row.calls), " ".join(row.query.split())) for row in rows)
        self._result = Statements(int(calls), top, self._idle_per_second)

    @property
    def result(self) -> Statements:
        if self._result is None:
            raise RuntimeError("the counter has not finished counting yet")
        return self._result

    def close(self) -> None:
        self._engine.dispose()


def shorten(query: str, width: int = 90) -> str:
    """``query`` cut to ``width`` characters."""
    return query if len(query) <= width else query[: width - 3] + "..."


__all__ = ["StatementCounter", "Statements", "shorten"]

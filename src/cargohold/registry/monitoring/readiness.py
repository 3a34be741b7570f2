"""Readiness: can this process serve pushes and pulls now?

Each check runs at the same time as the others and gives up after ``TIMEOUT`` seconds, so a
probe answers within that time even when the database or the object store hangs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from anyio import to_thread

from cargohold.core.errors import StorageError
from cargohold.meta.monitoring.readiness import head_revision
from cargohold.meta.store import MetadataStore
from cargohold.records.monitoring import CheckResult
from cargohold.registry.monitoring.recent import Recent
from cargohold.storage.base import BlobStore

TIMEOUT = 5.0
MAX_AGE = 1.0  # probes arriving within a second of each other share one round of checks


class Readiness:
    def __init__(
        self,
        meta: MetadataStore,
        store: BlobStore,
        timeout: float = TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._meta = meta
        self._store = store
        self._timeout = timeout
        self._results = Recent(self._run, MAX_AGE, clock)

    async def check(self) -> list[CheckResult]:
        """The database, its schema, its writability and the blob store, in that order."""
        return await self._results.get()

    async def _run(self) -> list[CheckResult]:
        database, blob_store = await asyncio.gather(
            self._within("database", self._database),
            self._within("blob_store", self._blob_store),
        )
        return [*database, *blob_store]

    async def _within(
        self, name: str, check: Callable[[], Awaitable[list[CheckResult]]]
    ) -> list[CheckResult]:
        try:
            return await asyncio.wait_for(check(), self._timeout)
        except TimeoutError:
            return [CheckResult(name, False, f"no answer within {self._timeout:g} s")]

    async def _database(self) -> list[CheckResult]:
        try:
            revision = await to_thread.run_sync(self._meta.readiness.revision)
        except StorageError as exc:
            reason = f"unreachable: {exc}"
            return [
                CheckResult("database", False, reason),
                CheckResult("migrations", False, "not checked: the database is unreachable"),
                CheckResult("database_writable", False, "not checked: the database is unreachable"),
            ]
        head = head_revision()
        if revision == head:
            migrations = CheckResult("migrations", True, f"at {head}, the newest")
        elif revision is None:
            return [
                CheckResult("database", True, "answers"),
                CheckResult(
                    "migrations", False, f"no schema: the server makes it ({head}) as it starts"
                ),
                CheckResult("database_writable", False, "not checked: no schema"),
            ]
        else:
            migrations = CheckResult(
                "migrations",
                False,
                f"at {revision}, this version needs {head}: the server migrates the database "
                "as it starts; restart it",
            )
        try:
            await to_thread.run_sync(self._meta.readiness.check_writable)
            writable = CheckResult("database_writable", True, "takes writes")
        except StorageError as exc:
            writable = CheckResult("database_writable", False, f"refuses writes: {exc}")
        return [CheckResult("database", True, "answers"), migrations, writable]

    async def _blob_store(self) -> list[CheckResult]:
        try:
            await self._store.check()
        except StorageError as exc:
            return [CheckResult("blob_store", False, str(exc))]
        return [CheckResult("blob_store", True, "readable and writable")]


__all__ = ["MAX_AGE", "TIMEOUT", "Readiness"]

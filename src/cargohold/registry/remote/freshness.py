"""Freshness of what a remote repository cached under a mutable name (a tag, a package's
version list), for every format: served as cached while it is younger than the repository's
revalidation period (or the repository is offline); then asked again of the upstream by one
request, whatever the crowd; served stale, with the event logged, when the upstream is down,
too slow or throttling.

The format's part is ``revalidate``: ask the upstream what the name points to now (cheaply
where the protocol allows, as a ``HEAD``), store what changed, and return the answer's digest.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from anyio import to_thread

from cargohold.core.errors import UpstreamThrottled, UpstreamUnavailable
from cargohold.meta.store import MetadataStore
from cargohold.records.remote import Check
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.cache import ChangeAwareCache
from cargohold.registry.remote import accounting
from cargohold.registry.remote.flight import Flights

log = logging.getLogger("cargohold.remote")
Revalidate = Callable[[Check | None], Awaitable[str]]


class Freshness:
    def __init__(self, meta: MetadataStore, flights: Flights, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._flights = flights
        self._clock = clock
        self._checks: ChangeAwareCache[tuple[str, str, str], Check | None] = ChangeAwareCache(
            meta.changes.read, name="remote_checks"
        )

    async def last(self, repository: str, name: str, reference: str) -> Check | None:
        """What the upstream last said ``name:reference`` was, and when."""

        async def load() -> Check | None:
            return await to_thread.run_sync(
                self._meta.remote_checks.get, repository, name, reference
            )

        return await self._checks.get((repository, name, reference), load)

    async def _latest(self, repository: str, name: str, reference: str) -> Check | None:
        """The last check, read from the database (not the cache: another request's, just
        made, counts)."""
        return await to_thread.run_sync(self._meta.remote_checks.get, repository, name, reference)

    async def ensure(
        self,
        repository: RepositoryRecord,
        name: str,
        reference: str,
        cached: bool,
        revalidate: Revalidate,
    ) -> None:
        """Make what ``name:reference`` points to in ``repository`` fresh enough to serve:
        nothing to do while the last check is younger than the revalidation period (or the
        repository is offline, or nothing but the cache may be asked); otherwise one
        ``revalidate`` across every process, the others waiting for it. When the upstream
        cannot answer, what is ``cached`` is served stale (and the event logged); with
        nothing cached, its error goes to the client."""
        remote = repository.remote
        if remote is None:
            return
        asked_at = self._clock()
        check = await self.last(repository.key, name, reference) if cached else None
        if cached and check is not None:
            if remote.offline or self._clock() - check.checked_at < remote.revalidate_seconds:
                accounting.hit()
                return
        elif cached and remote.offline:
            accounting.hit()
            return
        key = f"name:{repository.key}/{name}:{reference}"

        def answered(check: Check | None) -> bool:
            return check is not None and check.checked_at >= asked_at

        async def work() -> None:
            latest = await self._latest(repository.key, name, reference)
            if answered(latest):
                return  # asked by another request since this one came: that answer will do
            digest = await revalidate(latest if latest is not None else check)
            await to_thread.run_sync(
                self._meta.remote_checks.record,
                repository.key,
                name,
                reference,
                Check(digest, self._clock()),
            )

        try:
            # A revalidation followed in another process that failed leaves no newer check:
            # ask once more (now first), to answer with the upstream's own answer.
            for _ in range(2):
                await self._flights.once(key, work, wait=2 * remote.timeout_seconds + 5)
                if answered(await self._latest(repository.key, name, reference)):
                    break
        except (UpstreamUnavailable, UpstreamThrottled) as exc:
            if not cached:
                raise
            accounting.hit()
            log.warning(
                "serving %s:%s of remote repository %r from its cache, not revalidated: %s",
                name,
                reference,
                repository.key,
                exc.message,
            )


__all__ = ["Freshness", "Revalidate"]

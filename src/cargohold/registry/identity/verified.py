"""Verified credentials, remembered until their account changes.

A password is checked with a deliberately slow hash (argon2id: tens of milliseconds and 64 MiB
each), and a fleet sends the same one from a thousand machines at once. So a node remembers
each credential it verified, with the account's generation at that moment
(``meta/identity/generations.py``), and trusts it while:

- nothing was written since it was last found current (the metadata change marker: no read at
  all), or
- the account's generation still stands (one indexed read once anything was written): a
  password changed, a token revoked, a group left or a permission removed moves it, a push or
  another account's change does not;
- and, for an API token, the token has not expired.

Concurrent requests with the same credential wait for one verification (single flight)
instead of hashing it once each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from anyio import to_thread

from cargohold.core.bounded import remember
from cargohold.registry.identity.permissions import Principal

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Verified:
    """What a verification found: who (None: nobody, as for a revoked token's bearer), the
    account's generation read before anything else of it, and when the credential expires."""

    principal: Principal | None
    generation: int | None
    expires_at: float | None = None


@dataclass(slots=True)
class _Entry:
    verified: Verified
    seen: int  # the change marker when it was last known current


class VerifiedCache(Generic[K]):
    def __init__(
        self,
        marker: Callable[[], int],
        generation: Callable[[str], int | None],
        clock: Callable[[], float],
        limit: int = 10_000,
    ) -> None:
        self._marker = marker
        self._generation = generation  # blocking: run in a thread
        self._clock = clock
        self._limit = limit
        self._entries: dict[K, _Entry] = {}
        self._flights: dict[K, asyncio.Future[Principal | None]] = {}

    async def get(self, key: K, verify: Callable[[], Awaitable[Verified]]) -> Principal | None:
        """The principal ``key`` stands for: remembered while current, else ``verify``-ed
        once however many ask at the same time (its exceptions reach every one of them)."""
        entry = self._entries.get(key)
        if entry is not None and await self._current(entry):
            return entry.verified.principal
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._load(key, verify))
            self._flights[key] = flight
            flight.add_done_callback(lambda _: self._flights.pop(key, None))
        return await asyncio.shield(flight)

    async def _current(self, entry: _Entry) -> bool:
        verified = entry.verified
        if verified.expires_at is not None and self._clock() >= verified.expires_at:
            return False
        marker = self._marker()
        if marker == entry.seen:
            return True
        principal = verified.principal
        if principal is None or verified.generation is None:
            return False
        now = await to_thread.run_sync(self._generation, principal.name)
        if now != verified.generation:
            return False
        entry.seen = marker
        return True

    async def _load(self, key: K, verify: Callable[[], Awaitable[Verified]]) -> Principal | None:
        marker = self._marker()  # before reading: a write during the read is seen next time
        verified = await verify()
        remember(self._entries, key, _Entry(verified, marker), self._limit)
        return verified.principal


__all__ = ["Verified", "VerifiedCache"]

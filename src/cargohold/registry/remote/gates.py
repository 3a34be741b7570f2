"""Upstream gates, shared by every process and node: an upstream that throttled (429 with
``Retry-After``) or failed (5xx, refused, too slow) gets no request from anyone until its
window ends; the window of a failure without ``Retry-After`` doubles with failures in a row
(1, 2, 4 … 60 s).

The gates live in the database (``upstream_gates``), read before each upstream request:
those are rare (cold misses and revalidations), so one small read each costs little, and a
gate closed by one worker or node holds for all. This process keeps its own copy of the
gates it saw closed, which answers "closed" without the database until their window ends,
and notes the upstreams it saw failing, so that a success writes only when one was."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from anyio import to_thread

from cargohold.meta.store import MetadataStore
from cargohold.records.gates import UpstreamGate

MAX_BACKOFF = 60.0


def backoff(failures: int) -> float:
    """Seconds the gate stays closed after ``failures`` failures in a row without
    ``Retry-After``: 1, 2, 4 … then 60."""
    return min(MAX_BACKOFF, 2.0 ** max(0, failures - 1))


def origin_of(upstream: str) -> str:
    """An upstream's gate key: ``scheme://host:port`` of its base URL (every repository on
    that server shares the gate, whatever its path prefix)."""
    parts = urlsplit(upstream)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    host = (parts.hostname or "").lower()
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


@dataclass(frozen=True, slots=True)
class Closing:
    """What closing a gate did: the gate, and whether this request closed it (False: it was
    closed already, by a request that met the same outage)."""

    gate: UpstreamGate
    closed: bool


class UpstreamGates:
    def __init__(self, meta: MetadataStore, clock: Callable[[], float] = time.time) -> None:
        self._meta = meta
        self._clock = clock  # wall time: the gates are compared across nodes
        self._closed: dict[str, float] = {}  # origin -> closed until, as last seen here
        self._failing: set[str] = set()  # origins whose gate row exists, as last seen here

    async def closed_for(self, origin: str) -> float | None:
        """The seconds until ``origin``'s gate opens; None when it is open."""
        now = self._clock()
        until = self._closed.get(origin, 0.0)
        if until > now:
            return until - now
        self._closed.pop(origin, None)
        gate = await to_thread.run_sync(self._meta.upstream_gates.get, origin)
        if gate is None:
            self._failing.discard(origin)
            return None
        self._failing.add(origin)
        if gate.closed_until > now:
            self._closed[origin] = gate.closed_until
            return gate.closed_until - now
        return None

    async def close(self, origin: str, reason: str, retry_after: float | None = None) -> Closing:
        """Count a failure of ``origin`` and close its gate: for ``retry_after`` seconds
        when the upstream said (at least one), else for the backoff of its failures in a
        row."""

        def closed_for(failures: int) -> float:
            return backoff(failures) if retry_after is None else max(1.0, retry_after)

        gate, closed = await to_thread.run_sync(
            self._meta.upstream_gates.close, origin, self._clock(), reason, closed_for
        )
        self._closed[origin] = gate.closed_until
        self._failing.add(origin)
        return Closing(gate, closed)

    async def reopen(self, origin: str) -> bool:
        """``origin`` answered: forget its failures. Writes only when this process saw it
        failing; whether this call reopened it (False: nothing to forget, or another
        request did first)."""
        if origin not in self._failing:
            return False
        self._failing.discard(origin)
        self._closed.pop(origin, None)
        return await to_thread.run_sync(self._meta.upstream_gates.reopen, origin)


__all__ = ["MAX_BACKOFF", "Closing", "UpstreamGates", "backoff", "origin_of"]

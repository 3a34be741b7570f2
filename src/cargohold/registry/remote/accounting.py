"""Cache accounting of remote repositories, for every format: each request a remote
repository answers is a hit (served from what it holds, stale included) or a miss (asked of
its upstream), counted in ``cargohold_cache_lookups_total{cache="remote"}`` beside the
in-process caches, so a hit ratio is one query away."""

from __future__ import annotations

from cargohold.metrics import CACHE_LOOKUPS

_HITS = CACHE_LOOKUPS.labels("remote", "hit")
_MISSES = CACHE_LOOKUPS.labels("remote", "miss")


def hit() -> None:
    _HITS.value += 1


def miss() -> None:
    _MISSES.value += 1


__all__ = ["hit", "miss"]

"""Remote repositories as values: what a cache last learnt from its upstream about a name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Check:
    """What the upstream said a mutable name (a tag) pointed to, and when it was asked."""

    digest: str
    checked_at: float


__all__ = ["Check"]

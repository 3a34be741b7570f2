"""In-process memos kept small the simplest way: a map that reaches its limit is emptied
before it takes one more entry (what it held is found again at the cost of one miss each)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def remember(memo: dict[K, V], key: K, value: V, limit: int) -> None:
    """``memo[key] = value``, emptying ``memo`` first when it holds ``limit`` entries."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value


__all__ = ["remember"]

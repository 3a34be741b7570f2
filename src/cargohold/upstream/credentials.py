"""What the client remembers of each upstream's authentication: the scheme it asked for
(Basic, or Bearer with its token service), and the tokens that service gave, each until it
expires (less a margin, so none is sent as it expires).

Keyed by the upstream's base URL, the user name cargohold logs in with and a digest of its
password (and whether TLS is verified), and the tokens also by scope: two repositories with
different credentials on one upstream never share a token, a changed password is not
answered with the old one's tokens, and a token for one image is never sent for another."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

DEFAULT_EXPIRES_IN = 60.0  # what the token spec says a token without expires_in lasts
MARGIN = 10.0  # seconds before its expiry a token is no longer sent
MAX_TOKENS = 10_000  # tokens kept at most; past that the expired go, then the oldest

# (base URL, user name, a digest of the password and of whether TLS is verified)
Account = tuple[str, str | None, str]


@dataclass(frozen=True, slots=True)
class TokenService:
    """A Bearer challenge's token service: where to ask (``realm``) and for what
    ``service``."""

    realm: str
    service: str | None


Scheme = TokenService | Literal["basic"]


class Credentials:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._schemes: dict[Account, Scheme] = {}
        self._tokens: dict[tuple[Account, str | None], tuple[str, float]] = {}
        self._locks: dict[tuple[Account, str | None], asyncio.Lock] = {}

    def scheme(self, account: Account) -> Scheme | None:
        """How the upstream asked ``account`` to authenticate last time; None: it never
        asked yet."""
        return self._schemes.get(account)

    def remember(self, account: Account, scheme: Scheme) -> None:
        self._schemes[account] = scheme

    def token(self, account: Account, scope: str | None) -> str | None:
        """A token for ``scope`` that is still good; None when there is none."""
        kept = self._tokens.get((account, scope))
        if kept is None:
            return None
        if kept[1] <= self._clock():
            del self._tokens[(account, scope)]
            return None
        return kept[0]

    def keep(self, account: Account, scope: str | None, token: str, expires_in: float) -> None:
        """Keep ``token`` for ``scope`` until ``expires_in`` seconds from now less the
        margin (half its life, for a short one)."""
        now = self._clock()
        if len(self._tokens) >= MAX_TOKENS:
            self._tokens = {k: v for k, v in self._tokens.items() if v[1] > now}
            while len(self._tokens) >= MAX_TOKENS:
                del self._tokens[next(iter(self._tokens))]
        self._tokens[(account, scope)] = (token, now + expires_in - min(MARGIN, expires_in / 2))

    def drop(self, account: Account, scope: str | None, token: str) -> None:
        """Forget ``token`` (the upstream refused it), unless another replaced it."""
        kept = self._tokens.get((account, scope))
        if kept is not None and kept[0] == token:
            del self._tokens[(account, scope)]

    def lock(self, account: Account, scope: str | None) -> asyncio.Lock:
        """The lock that makes requests needing one token at once wait for one fetch."""
        key = (account, scope)
        lock = self._locks.get(key)
        if lock is None:
            if len(self._locks) >= MAX_TOKENS:
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            lock = self._locks[key] = asyncio.Lock()
        return lock


__all__ = ["DEFAULT_EXPIRES_IN", "MARGIN", "Account", "Credentials", "Scheme", "TokenService"]

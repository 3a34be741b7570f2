"""Login throttling: failed logins are counted per user name and per client address.

A few failures are free; after that each one locks the name (or address) for twice as long
as the one before, up to ``MAX_LOCK`` seconds. Failures are forgotten after
``FORGET_AFTER`` seconds without one, and a success clears them. Locks only ever stop
password guessing: API tokens, which cannot be guessed, are not subject to the user lock, and
no lock lasts longer than ``MAX_LOCK``, so an administrator is never locked out for good.

A credential verified before (``verified.py``) is not checked against its hash again, but a
lock still stops it: ``check_remembered`` looks the locks up in a copy held in memory and read
again once anything was written (a failure that locks is a write), so a guess that happens to
be right is refused while the name or the address is locked, as it would be the first time.
"""

from __future__ import annotations

from collections.abc import Callable

from anyio import to_thread

from cargohold.core.errors import TooManyRequests
from cargohold.meta.store import MetadataStore
from cargohold.registry.cache import ChangeAwareCache

FREE_PER_USER = 5
FREE_PER_ADDRESS = 20
MAX_LOCK = 300.0
FORGET_AFTER = 900.0


def _lock_for(free: int) -> Callable[[int], float]:
    def lock_for(failures: int) -> float:
        if failures < free:
            return 0.0
        return min(2.0 ** (failures - free + 1), MAX_LOCK)

    return lock_for


def _keys(username: str | None, client: str) -> list[str]:
    return [f"addr:{client}"] + ([f"user:{username}"] if username else [])


class LoginThrottle:
    def __init__(self, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._clock = clock
        # Every lock in force, read again once anything was written.
        self._locks: ChangeAwareCache[None, dict[str, float]] = ChangeAwareCache(
            meta.changes.read, limit=1, name="login_locks"
        )

    def check(self, username: str | None, client: str) -> None:
        """Raise TooManyRequests while the user or the address is locked (blocking call)."""
        self._refuse_until(self._meta.logins.locked_until(_keys(username, client)))

    async def check_remembered(self, username: str | None, client: str) -> None:
        """``check`` for a credential verified before, from the locks held in memory."""

        async def load() -> dict[str, float]:
            return await to_thread.run_sync(self._meta.logins.locks, self._clock())

        locks = await self._locks.get(None, load)
        self._refuse_until(max(locks.get(k, 0.0) for k in _keys(username, client)))

    def _refuse_until(self, until: float) -> None:
        wait = until - self._clock()
        if wait > 0:
            seconds = int(wait) + 1
            raise TooManyRequests(
                f"too many failed logins; try again in {seconds} seconds",
                {"retry_after": seconds},
            )

    async def failed(self, username: str | None, client: str) -> None:
        now = self._clock()

        def record() -> None:
            self._meta.logins.fail(
                [f"addr:{client}"], now, FORGET_AFTER, _lock_for(FREE_PER_ADDRESS)
            )
            if username:
                self._meta.logins.fail(
                    [f"user:{username}"], now, FORGET_AFTER, _lock_for(FREE_PER_USER)
                )

        await to_thread.run_sync(record)

    def succeeded(self, username: str, client: str) -> None:
        """Forget the failures of the user and the address (blocking call)."""
        if self._meta.logins.locked_until([f"user:{username}", f"addr:{client}"]) > 0:
            self._meta.logins.clear([f"user:{username}", f"addr:{client}"])


__all__ = ["FORGET_AFTER", "FREE_PER_ADDRESS", "FREE_PER_USER", "MAX_LOCK", "LoginThrottle"]

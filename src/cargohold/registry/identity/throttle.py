"""Login throttling: failed logins are counted per user name and per client address.

A few failures are free; after that each one locks the name (or address) for twice as long
as the one before, up to ``MAX_LOCK`` seconds. Failures are forgotten after
``FORGET_AFTER`` seconds without one, and a success clears them. Locks only ever stop
password guessing: API tokens, which cannot be guessed, are not subject to the user lock, and
no lock lasts longer than ``MAX_LOCK``, so an administrator is never locked out for good.
"""

from __future__ import annotations

from collections.abc import Callable

from anyio import to_thread

from cargohold.core.errors import TooManyRequests
from cargohold.meta.store import MetadataStore

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


class LoginThrottle:
    def __init__(self, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._clock = clock

    def check(self, username: str | None, client: str) -> None:
        """Raise TooManyRequests while the user or the address is locked (blocking call)."""
        keys = [f"addr:{client}"] + ([f"user:{username}"] if username else [])
        until = self._meta.logins.locked_until(keys)
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

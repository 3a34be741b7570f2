"""A repository's signing keys: made on first use, rotated with a grace period.

A repository signs with every key not retired yet, newest first, and publishes all their
certificates: during a rotation's grace period a client that trusts only the old key and a
client that already trusts the new one both verify what it signs. Once the old key's
``retire_at`` has passed it neither signs nor is published (the next index signed drops
it)."""

from __future__ import annotations

from collections.abc import Callable

from anyio import to_thread

from cargohold.meta.store import MetadataStore
from cargohold.records.signing import SigningKey
from cargohold.registry.signing import openpgp

DEFAULT_GRACE = 30 * 86400.0  # how long a rotated-out key keeps signing, by default


class RepositoryKeys:
    def __init__(
        self,
        meta: MetadataStore,
        clock: Callable[[], float],
        generate: Callable[[str], openpgp.NewKey] = openpgp.generate,
    ) -> None:
        self._meta = meta
        self._clock = clock
        self._generate = generate

    async def active(self, repository: str) -> list[SigningKey]:
        """The keys that sign for ``repository`` now, newest first (made when it has none)."""
        keys = await to_thread.run_sync(self._meta.signing_keys.keys, repository)
        if not keys:
            key = await self._new(repository)
            keys = await to_thread.run_sync(self._meta.signing_keys.create_first, key)
        return self._active(keys)

    async def public(self, repository: str) -> str:
        """The armored certificates of the active keys, newest first, one after another (what
        ``signed-by=`` and ``gpgkey=`` take)."""
        return "".join(key.public for key in await self.active(repository))

    async def rotate(self, repository: str, grace: float = DEFAULT_GRACE) -> list[SigningKey]:
        """Make a new current key; the keys current until now sign beside it for ``grace``
        seconds. The keys that sign then, newest first."""
        key = await self._new(repository)
        keys = await to_thread.run_sync(self._meta.signing_keys.rotate, key, key.created_at + grace)
        return self._active(keys)

    def _active(self, keys: list[SigningKey]) -> list[SigningKey]:
        now = self._clock()
        return [k for k in keys if k.retire_at is None or k.retire_at > now]

    async def _new(self, repository: str) -> SigningKey:
        made = await to_thread.run_sync(
            self._generate, f"cargohold repository {repository} <{repository}@cargohold.invalid>"
        )
        return SigningKey(repository, made.fingerprint, made.secret, made.public, self._clock())


__all__ = ["DEFAULT_GRACE", "RepositoryKeys"]

"""Properties: reading, setting and deleting the properties of an artifact (what they may
be, and how subjects are named, is in ``core/properties.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from anyio import to_thread

from cargohold.core.errors import ResourceUnknown
from cargohold.core.properties import Values, validate
from cargohold.meta.store import MetadataStore


class PropertyStore:
    def __init__(self, meta: MetadataStore) -> None:
        self._meta = meta

    async def require(self, repository: str, subject: str) -> None:
        """Raise ResourceUnknown unless the artifact ``subject`` names is in the repository."""
        if not await to_thread.run_sync(self._meta.properties.exists, repository, subject):
            kind, _, rest = subject.partition(":")
            raise ResourceUnknown(f"no {kind} {rest!r} in repository {repository!r}")

    async def get(self, repository: str, subject: str) -> Values:
        return await to_thread.run_sync(self._meta.properties.get, repository, subject)

    async def set(
        self,
        repository: str,
        subject: str,
        values: Mapping[str, object],
        *,
        replace: bool = False,
    ) -> Values:
        checked = validate(values)

        def write() -> Values:
            return self._meta.properties.set(repository, subject, checked, replace=replace)

        return await to_thread.run_sync(write)

    async def delete(
        self, repository: str, subject: str, keys: Sequence[str] | None = None
    ) -> None:
        await to_thread.run_sync(self._meta.properties.delete, repository, subject, keys)

    async def copy(
        self, repository: str, subject: str, target_repository: str, target_subject: str
    ) -> None:
        await to_thread.run_sync(
            self._meta.properties.copy, repository, subject, target_repository, target_subject
        )


__all__ = ["PropertyStore"]

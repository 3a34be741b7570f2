"""Changes to package versions already published, for every package format: dist-tags,
yanking (npm: deprecation), deleting; each with its audit record (and, for a delete, its
"delete" events) committed with it. The caller checked the rights (``write``; ``delete`` to
delete, in a repository that allows it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from anyio import to_thread

from cargohold.core.errors import ResourceUnknown
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.packages import DistTag, PackageFile, PackageVersion
from cargohold.registry.consequences import Consequences
from cargohold.registry.identity.audit import Actor

Changed = Callable[[str], Awaitable[None]]  # told which repository changed


async def _unchanged(key: str) -> None:
    return None


class PackageChanges:
    def __init__(
        self, meta: MetadataStore, consequences: Consequences, changed: Changed = _unchanged
    ) -> None:
        """``changed`` is told of every repository a delete changed, once it is committed
        (a format with indexes of its own publishes them again: Debian's)."""
        self._meta = meta
        self._changed = changed
        self._audit = consequences.audit
        self._events = consequences.events
        self._jobs = consequences.jobs

    async def set_tag(self, actor: Actor, tag: DistTag) -> None:
        effects = self._audit.entry(
            actor,
            "package.tag",
            f"{tag.repository}/{tag.name}@{tag.tag}={tag.version}",
            repository=tag.repository,
        )
        await to_thread.run_sync(self._meta.packages.set_tag, tag, effects)
        self._jobs.committed(effects)

    async def remove_tag(self, actor: Actor, key: str, name: str, tag: str) -> bool:
        effects = self._audit.entry(actor, "package.untag", f"{key}/{name}@{tag}", repository=key)
        removed = await to_thread.run_sync(self._meta.packages.remove_tag, key, name, tag, effects)
        if removed:
            self._jobs.committed(effects)
        return removed

    async def yank(
        self, actor: Actor, key: str, name: str, versions: Mapping[str, str | None]
    ) -> int:
        """Yank (PyPI) or deprecate (npm) ``versions`` with the reason given, or undo it
        (None); how many versions there were."""
        shown = ", ".join(sorted(versions))
        effects = self._audit.entry(actor, "package.yank", f"{key}/{name}@{shown}", repository=key)
        changed = await to_thread.run_sync(self._meta.packages.yank, key, name, versions, effects)
        if changed:
            self._jobs.committed(effects)
        return changed

    async def delete(
        self, actor: Actor, key: str, name: str, version: str | None = None
    ) -> list[PackageVersion]:
        """Delete one version of a package, or all of them; ResourceUnknown when there was
        nothing to delete. The caller checked ``delete``."""
        where = f"{key}/{name}" + ("" if version is None else f"@{version}")
        audit = self._audit.entry(actor, "package.delete", where, status=200, repository=key)
        announce = await self._events.announcer("delete", key)

        committed: list[Effects] = []

        def effects_of(gone: list[PackageFile]) -> Effects:
            effects = audit
            for one in gone:
                effects += announce(
                    f"{one.name}@{one.version}",
                    {
                        "repository": key,
                        "name": one.name,
                        "version": one.version,
                        "filename": one.filename,
                        "digest": one.file.digest,
                    },
                    actor.name,
                )
            committed.append(effects)
            return effects

        gone = await to_thread.run_sync(
            lambda: self._meta.packages.delete(key, name, version, effects_of)
        )
        if not gone:
            what = name if version is None else f"{name} {version}"
            raise ResourceUnknown(f"no package {what} in repository {key!r}")
        for effects in committed:
            self._jobs.committed(effects)
        await self._changed(key)
        return gone


__all__ = ["Changed", "PackageChanges"]

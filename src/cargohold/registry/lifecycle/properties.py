"""Properties of an artifact: reading, setting and deleting them, for whoever may (``read``,
``annotate``). A change commits its audit record and its "property" event with it. What
properties may be, and how subjects are named, is in ``core/properties.py``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from anyio import to_thread

from cargohold.core.errors import BadRequest, ResourceUnknown
from cargohold.core.names import ImageName, validate_tag
from cargohold.core.properties import (
    Values,
    file_subject,
    image_subject,
    package_subject,
    tag_subject,
    validate,
)
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.events.emitter import Events, Happened
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.jobs import JobQueue
from cargohold.registry.packages.names import package_name
from cargohold.registry.repositories import Repositories


@dataclass(frozen=True, slots=True)
class ArtifactRef:
    """An artifact as a caller names it: ``repository`` and either ``image`` with ``digest``
    or ``tag``, or ``path`` (a generic file), or ``package`` with ``version``."""

    repository: str | None
    image: str | None = None
    digest: str | None = None
    tag: str | None = None
    path: str | None = None
    package: str | None = None
    version: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """Properties to set: ``values``, instead of all the current ones with ``replace``."""

    values: Mapping[str, object]
    replace: bool = False


@dataclass(frozen=True, slots=True)
class Annotated:
    """The artifact properties are on: its repository and subject."""

    repository: RepositoryRecord
    subject: str


class PropertyStore:
    def __init__(
        self,
        meta: MetadataStore,
        repositories: Repositories,
        access: AccessControl,
        audit: AuditLog,
        events: Events,
        jobs: JobQueue,
    ) -> None:
        self._meta = meta
        self._repositories = repositories
        self._access = access
        self._audit = audit
        self._events = events
        self._jobs = jobs

    async def locate(
        self, principal: Principal | None, ref: ArtifactRef, action: Action
    ) -> Annotated:
        """The artifact ``ref`` names, once it exists and ``principal`` may ``action`` it."""
        if not ref.repository:
            raise BadRequest("'repository' is required")
        record = await self._repositories.get(ref.repository)
        self._access.check(principal, record, action)
        image, digest, tag, path = ref.image, ref.digest, ref.tag, ref.path
        if ref.package is not None and image is None and path is None:
            if not ref.version:
                raise BadRequest("name the package version: 'package' with 'version'")
            subject = package_subject(package_name(record.format, ref.package), ref.version)
        elif path is not None and image is None:
            if not path.strip("/") or ".." in path.split("/"):
                raise BadRequest(f"path {path[:200]!r} is not a file path")
            subject = file_subject(path)
        elif image is not None and (digest is None) != (tag is None):
            ImageName.parse(f"{record.key}/{image}")
            if digest is not None:
                subject = image_subject(image, digest)
            else:
                subject = tag_subject(image, validate_tag(tag or ""))
        else:
            raise BadRequest(
                "name the artifact: 'image' with 'digest' or 'tag', 'path', or 'package' "
                "with 'version'"
            )
        if not await to_thread.run_sync(self._meta.properties.exists, record.key, subject):
            kind, _, rest = subject.partition(":")
            raise ResourceUnknown(f"no {kind} {rest!r} in repository {record.key!r}")
        return Annotated(record, subject)

    async def get(self, principal: Principal | None, ref: ArtifactRef) -> tuple[Annotated, Values]:
        found = await self.locate(principal, ref, Action.READ)
        values = await to_thread.run_sync(
            self._meta.properties.get, found.repository.key, found.subject
        )
        return found, values

    async def set(
        self,
        actor: Actor,
        ref: ArtifactRef,
        read_change: Callable[[], Awaitable[Change]],
    ) -> tuple[Annotated, Values]:
        """Set the values ``read_change`` returns (read once the caller may), all of them
        instead of the current ones with ``replace``; the properties now stored."""
        found = await self.locate(actor.principal, ref, Action.ANNOTATE)
        change = await read_change()
        checked, replace = validate(change.values), change.replace
        key, subject = found.repository.key, found.subject
        announce = await self._events.announcer("property", key)
        recorded = self._audit.entry(actor, "property.set", "properties", status=200)
        made: list[Effects] = []

        def effects_of(stored: Values) -> Effects:
            """The event says what is stored now, so it is made inside the write."""
            data = _data(key, subject, set=stored)
            made.append(recorded + announce(_artifact(subject), data, actor.name))
            return made[-1]

        def write() -> Values:
            return self._meta.properties.set(
                key, subject, checked, replace=replace, effects_of=effects_of
            )

        stored = await to_thread.run_sync(write)
        self._jobs.committed(made[-1])
        return found, stored

    async def delete(self, actor: Actor, ref: ArtifactRef, keys: Sequence[str] | None) -> None:
        """Delete the properties ``keys`` (all of them: None)."""
        found = await self.locate(actor.principal, ref, Action.ANNOTATE)
        key, subject = found.repository.key, found.subject
        data = _data(key, subject, deleted=list(keys) if keys else "all")
        recorded = self._audit.entry(actor, "property.delete", "properties", status=204)
        happened = Happened("property", key, _artifact(subject), data, actor.name)
        effects = recorded + await self._events.effects([happened])
        await to_thread.run_sync(self._meta.properties.delete, key, subject, keys, effects)
        self._jobs.committed(effects)


def _artifact(subject: str) -> str:
    """What a "property" event is about: the image name or the file path."""
    kind, _, rest = subject.partition(":")
    if kind == "image":
        return rest.split("@")[0]
    if kind == "tag":
        return rest.rpartition(":")[0]
    return rest


def _data(repository: str, subject: str, **change: object) -> dict[str, object]:
    return {"repository": repository, "subject": subject, **change}


__all__ = ["Annotated", "ArtifactRef", "Change", "PropertyStore"]

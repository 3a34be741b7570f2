"""Build info: what a CI build produced (images and files, by digest) and consumed, with the
build's status history (its promotion is in ``build_promotion.py``).

Who may do what: recording a build needs ``write`` on every repository its artifacts are in;
reading one needs ``read`` on all of them (a build that names none: any signed-in user).
Recording one commits its audit record with it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from anyio import to_thread

from cargohold.core.digest import digest_field
from cargohold.core.errors import (
    BadRequest,
    Denied,
    RepositoryInvalid,
    ResourceUnknown,
)
from cargohold.core.names import ImageName, validate_tag
from cargohold.core.properties import validate
from cargohold.core.times import parse_rfc3339, rfc3339
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.lifecycle import (
    BuildPosition,
    BuildRecord,
    BuildStatusRecord,
)
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.repositories import Repositories

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+:@ -]{0,254}$")
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+:-]{0,63}$")
TYPES = {"docker": "docker", "generic": "generic"}  # artifact type -> repository format
MAX_ARTIFACTS = 1000
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Artifact:
    type: str  # docker, generic
    repository: str
    name: str  # image name (team/app) or file path
    digest: str
    tag: str | None = None

    def json(self) -> dict[str, Any]:
        doc = {"type": self.type, "repository": self.repository, "name": self.name}
        return doc | {"digest": self.digest} | ({"tag": self.tag} if self.tag else {})


@dataclass(frozen=True, slots=True)
class Dependency:
    id: str
    digest: str


@dataclass(frozen=True, slots=True)
class Module:
    id: str
    artifacts: tuple[Artifact, ...]
    dependencies: tuple[Dependency, ...]


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """A build as CI reports it (Artifactory build-info, simplified)."""

    name: str
    number: str
    started: float
    url: str
    properties: dict[str, list[str]]
    modules: tuple[Module, ...]

    @property
    def artifacts(self) -> list[Artifact]:
        return [a for m in self.modules for a in m.artifacts]

    @property
    def repositories(self) -> list[str]:
        return sorted({a.repository for a in self.artifacts})

    def document(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "number": self.number,
            "started": rfc3339(self.started),
            "url": self.url,
            "properties": self.properties,
            "modules": [
                {
                    "id": m.id,
                    "artifacts": [a.json() for a in m.artifacts],
                    "dependencies": [{"id": d.id, "digest": d.digest} for d in m.dependencies],
                }
                for m in self.modules
            ],
        }

    @classmethod
    def from_record(cls, record: BuildRecord) -> BuildInfo:
        doc = record.document
        return parse_build(
            record.name,
            record.number,
            record.started,
            record.url,
            doc.get("properties", {}),
            doc.get("modules", []),
        )


@dataclass(frozen=True, slots=True)
class Build:
    info: BuildInfo
    created: float
    created_by: str
    statuses: tuple[BuildStatusRecord, ...] = ()


def parse_build(
    name: object,
    number: object,
    started: float,
    url: object,
    properties: Mapping[str, object],
    modules: Sequence[object],
) -> BuildInfo:
    """The build, checked field by field: a 400 names the first field that is wrong."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise BadRequest(
            "'name' must be 1-255 letters, digits, spaces or '._+:@-' (no '/'), starting with a "
            "letter or digit"
        )
    if not isinstance(number, str) or not _NUMBER.match(number):
        raise BadRequest("'number' must be 1-64 letters, digits or '._+:-', e.g. \"42\"")
    if not isinstance(url, str) or len(url) > MAX_TEXT:
        raise BadRequest(f"'url' must be a string of at most {MAX_TEXT} characters")
    parsed = tuple(_module(raw, f"modules[{i}]") for i, raw in enumerate(modules))
    info = BuildInfo(name, number, started, url, validate(properties), parsed)
    if len(info.artifacts) > MAX_ARTIFACTS:
        raise BadRequest(f"a build may list at most {MAX_ARTIFACTS} artifacts")
    return info


def _module(raw: object, where: str) -> Module:
    doc = _object(raw, where, {"id", "artifacts", "dependencies"})
    artifacts = _list(doc, "artifacts", where)
    dependencies = _list(doc, "dependencies", where)
    return Module(
        _text(doc, "id", where),
        tuple(_artifact(a, f"{where}.artifacts[{i}]") for i, a in enumerate(artifacts)),
        tuple(_dependency(d, f"{where}.dependencies[{i}]") for i, d in enumerate(dependencies)),
    )


def _artifact(raw: object, where: str) -> Artifact:
    doc = _object(raw, where, {"type", "repository", "name", "digest", "tag"})
    kind = _text(doc, "type", where)
    if kind not in TYPES:
        raise BadRequest(f"{where}.type must be one of: {', '.join(TYPES)}")
    repository = _text(doc, "repository", where)
    name = _text(doc, "name", where)
    digest = _digest(doc, where)
    tag = doc.get("tag")
    if kind == "docker":
        ImageName.parse(f"{repository}/{name}")
        if tag is not None:
            if not isinstance(tag, str):
                raise BadRequest(f"{where}.tag must be a string")
            validate_tag(tag)
    else:
        if tag is not None:
            raise BadRequest(f"{where}: a generic file has no tag")
        if name.startswith("/") or "//" in name or ".." in name.split("/") or "\0" in name:
            raise BadRequest(f"{where}.name must be a file path like app/1.0/app.tgz")
    return Artifact(kind, repository, name, digest, tag)


def _dependency(raw: object, where: str) -> Dependency:
    doc = _object(raw, where, {"id", "digest"})
    return Dependency(_text(doc, "id", where), _digest(doc, where))


def _object(raw: object, where: str, fields: set[str]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadRequest(f"{where} must be an object")
    unknown = sorted(set(raw) - fields)
    if unknown:
        raise BadRequest(f"{where}: unknown field {str(unknown[0])[:60]!r}")
    return raw


def _list(doc: Mapping[str, Any], field: str, where: str) -> list[object]:
    value = doc.get(field, [])
    if not isinstance(value, list):
        raise BadRequest(f"{where}.{field} must be a list")
    return value


def _text(doc: Mapping[str, Any], field: str, where: str) -> str:
    value = doc.get(field)
    if not isinstance(value, str) or not value or len(value) > 1024:
        raise BadRequest(f"{where}.{field} must be a string of 1-1024 characters")
    return value


def _digest(doc: Mapping[str, Any], where: str) -> str:
    return digest_field(_text(doc, "digest", where), f"{where}.digest")


def build_path(name: str, number: str) -> str:
    """Where the build is in the REST API, under ``/api/v1/``."""
    return f"builds/{quote(name, safe='')}/{quote(number, safe='')}"


def parse_started(text: str) -> float:
    """An RFC 3339 time (UTC unless it has an offset) as seconds since the epoch."""
    try:
        return parse_rfc3339(text)
    except ValueError as exc:
        raise BadRequest("'started' must be an RFC 3339 time like 2026-11-26T10:00:00Z") from exc


class Builds:
    def __init__(
        self,
        meta: MetadataStore,
        repositories: Repositories,
        access: AccessControl,
        audit: AuditLog,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._meta = meta
        self._repositories = repositories
        self._access = access
        self._audit = audit
        self._clock = clock

    # --- record and read ------------------------------------------------------------------

    async def put(self, actor: Actor, info: BuildInfo) -> tuple[Build, bool]:
        """Store the build (replacing one of the same name and number); True when new."""
        user = self._access.require_user(actor.principal)
        keys = set(info.repositories)
        previous = await to_thread.run_sync(self._meta.builds.get, info.name, info.number)
        if previous is not None:
            keys |= set(BuildInfo.from_record(previous).repositories)
        for key in sorted(keys):
            self._access.check(user, await self._repositories.get(key), Action.WRITE)
        if not keys and not any(
            self._access.allows(user, repository, Action.WRITE)
            for repository in await self._repositories.all()
        ):
            # A build that names no repository is still a write: by someone who deploys.
            raise Denied(f"{user.name!r} may not record builds: it may write to no repository")
        for artifact in info.artifacts:
            await self._typed_repository(artifact.repository, artifact.type)
        now = self._clock()
        record = BuildRecord(
            info.name, info.number, info.started, info.url, info.document(), now, user.name
        )

        def effects_of(created: bool) -> Effects:
            """A new build is recorded under its own path (201), a replaced one under
            ``builds`` (200)."""
            if created:
                target = build_path(info.name, info.number)
                return self._audit.entry(actor, "build.record", target, status=201)
            return self._audit.entry(actor, "build.record", "builds", status=200)

        created = await to_thread.run_sync(self._meta.builds.put, record, effects_of)
        return Build(info, now, user.name), created

    async def get(self, principal: Principal | None, name: str, number: str) -> Build:
        """The build with its status history; unknown (404) to whoever may not read it."""
        record = await to_thread.run_sync(self._meta.builds.get, name, number)
        if record is None or not await self._visible(principal, record):
            raise ResourceUnknown(f"build {name!r} number {number!r} does not exist")
        statuses = await to_thread.run_sync(self._meta.builds.statuses, name, number)
        return _build(record, statuses)

    async def page(
        self,
        principal: Principal | None,
        name: str | None,
        after: BuildPosition | None,
        limit: int,
    ) -> list[Build]:
        """Up to ``limit`` builds the caller may read, newest first, after ``after``."""
        found: list[Build] = []
        batch = max(limit, 100)
        while len(found) < limit:
            rows = await to_thread.run_sync(self._meta.builds.page, name, after, batch)
            for record in rows:
                if await self._visible(principal, record):
                    found.append(_build(record, ()))
                    if len(found) == limit:
                        break
            if len(rows) < batch:
                break
            last = rows[-1]
            after = BuildPosition(last.started, last.name, last.number)
        return found

    async def _visible(self, principal: Principal | None, record: BuildRecord) -> bool:
        keys = BuildInfo.from_record(record).repositories
        if not keys:
            return principal is not None and not principal.anonymous
        for key in keys:
            repository = await self._repositories.find(key)
            if repository is None or not self._access.allows(principal, repository, Action.READ):
                return False
        return True

    async def _typed_repository(self, key: str, artifact_type: str) -> RepositoryRecord:
        repository = await self._repositories.get(key)
        if repository.format != TYPES[artifact_type]:
            raise RepositoryInvalid(
                f"repository {key!r} holds {repository.format}, not {artifact_type} artifacts"
            )
        return repository


def _build(record: BuildRecord, statuses: Sequence[BuildStatusRecord]) -> Build:
    return Build(
        BuildInfo.from_record(record), record.created_at, record.created_by, tuple(statuses)
    )


__all__ = [
    "Artifact",
    "Build",
    "BuildInfo",
    "Builds",
    "Dependency",
    "Module",
    "build_path",
    "parse_build",
    "parse_started",
]

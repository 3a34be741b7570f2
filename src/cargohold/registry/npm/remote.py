"""Remote npm repositories: a pull-through cache of an upstream npm registry (the public one,
or another cargohold's ``/npm/KEY``), driving the format-agnostic core in ``registry/remote``.

A package's packument is asked of the upstream and kept as the remote repository's own
version rows (``PackageVersion.document``: each version's manifest as the upstream serves
it, its ``dist.tarball`` the upstream's URL) and dist-tags; ``Freshness`` decides when to ask
again (the repository's revalidation period, stale serving while the upstream is down,
offline mode). Served, the tarball URLs are this repository's own.

A tarball is fetched on its first download, by one process whatever the crowd
(``Flights.once``), its ``integrity`` (sha512) and ``shasum`` checked as it arrives, and
stored as a file of the remote repository's version, so it is scanned, policies see it and
later downloads are local. The first client of a tarball waits until it is stored.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from anyio import to_thread

from cargohold.core.checksums import Checksums
from cargohold.core.errors import (
    BadRequest,
    ResourceUnknown,
    UpstreamUnavailable,
)
from cargohold.core.jsondoc import JsonLimits, JsonRejected, read_json
from cargohold.core.times import parse_rfc3339
from cargohold.records.packages import MAX_VERSION, PackageFile, PackageVersion
from cargohold.records.remote import Check
from cargohold.records.repositories import Remote, RepositoryRecord
from cargohold.registry.npm.names import (
    MAX_NAME,
    is_version,
    tarball_filename,
    validate_tag,
)
from cargohold.registry.npm.packuments import Packument
from cargohold.registry.packages.files import NewFile, PackageFiles
from cargohold.registry.packages.remote_cache import REMOTE_CACHE, RemoteCache
from cargohold.registry.remote.flight import Flights
from cargohold.registry.remote.freshness import Freshness
from cargohold.registry.remote.upstream import Upstream

log = logging.getLogger("cargohold.remote")

MAX_PACKUMENT = 64 * 1024 * 1024
PACKUMENT_LIMITS = JsonLimits(max_bytes=MAX_PACKUMENT, max_depth=128)
REFERENCE = "packument"  # what Freshness keeps the last check of, per package name
FETCHED_BY = "upstream"  # a cached version's created_by


def escaped(name: str) -> str:
    """The name as npm puts it in a packument's URL: ``@scope%2fname``."""
    return name.replace("/", "%2f")


def _remote_of(repository: RepositoryRecord) -> Remote:
    if repository.remote is None:
        raise ResourceUnknown(f"repository {repository.key!r} is not a remote repository")
    return repository.remote


class NpmRemote:
    def __init__(
        self,
        packages: PackageFiles,
        cache: RemoteCache,
        upstream: Upstream,
        freshness: Freshness,
        flights: Flights,
        clock: Callable[[], float],
    ) -> None:
        self._packages = packages
        self._cache = cache
        self._upstream = upstream
        self._freshness = freshness
        self._flights = flights
        self._clock = clock

    # --- packuments ---------------------------------------------------------------------

    async def packument(self, repository: RepositoryRecord, name: str) -> Packument | None:
        """Package ``name`` as the upstream last said, asked again when it is due; None when
        neither the upstream nor the cache knows it."""
        key = repository.key
        cached = bool(await self._packages.versions(key, name))

        async def revalidate(check: Check | None) -> str:
            body = await self._fetch_packument(repository, name)
            digest = "sha256:" + hashlib.sha256(body).hexdigest()
            if check is not None and check.digest == digest and cached:
                return digest
            versions, tags = await to_thread.run_sync(self._mirrored, key, name, body)
            await self._cache.mirror(key, name, versions, tags)
            return digest

        try:
            await self._freshness.ensure(repository, name, REFERENCE, cached, revalidate)
        except ResourceUnknown:
            if not cached:
                return None
        versions = await self._packages.versions(key, name)
        if not versions:
            return None
        tags = {t.tag: t.version for t in await self._packages.tags(key, name)}
        return Packument(name, tuple(versions), tags)

    async def _fetch_packument(self, repository: RepositoryRecord, name: str) -> bytes:
        remote = _remote_of(repository)
        async with self._upstream.open(
            repository.key,
            remote,
            "GET",
            f"/{escaped(name)}",
            headers={"Accept": "application/json"},
        ) as reply:
            if reply.status == 404:
                raise ResourceUnknown(
                    f"package {name!r} is not in the upstream of remote repository "
                    f"{repository.key!r}",
                    {"name": name},
                )
            if reply.status != 200:
                raise UpstreamUnavailable(
                    f"the upstream of remote repository {repository.key!r} answered "
                    f"{reply.status} for package {name!r}",
                    {"repository": repository.key, "status": reply.status},
                )
            return await reply.read(MAX_PACKUMENT)

    def _mirrored(
        self, key: str, name: str, body: bytes
    ) -> tuple[list[PackageVersion], dict[str, str]]:
        """The version rows and dist-tags of an upstream packument (what cannot be served
        or checked, left out)."""
        try:
            doc = read_json(body, PACKUMENT_LIMITS)
        except JsonRejected as exc:
            raise UpstreamUnavailable(
                f"the upstream of remote repository {key!r} sent a packument of {name!r} "
                f"that is not JSON: {exc.message}"
            ) from exc
        if not isinstance(doc, dict) or not isinstance(doc.get("versions", {}), dict):
            raise UpstreamUnavailable(
                f"the upstream of remote repository {key!r} sent no packument for {name!r}"
            )
        raw_times = doc.get("time")
        times: dict[str, Any] = raw_times if isinstance(raw_times, dict) else {}
        now = self._clock()
        versions: list[PackageVersion] = []
        for version, manifest in doc.get("versions", {}).items():
            row = _version_row(key, name, version, manifest, times, now)
            if row is not None:
                versions.append(row)
        held = {v.version for v in versions}
        tags: dict[str, str] = {}
        raw_tags = doc.get("dist-tags")
        for tag, target in (raw_tags if isinstance(raw_tags, dict) else {}).items():
            try:
                validate_tag(str(tag))
            except BadRequest:
                continue
            if target in held:
                tags[str(tag)] = str(target)
        return versions, tags

    # --- tarballs -----------------------------------------------------------------------

    async def tarball(self, repository: RepositoryRecord, name: str, version: str) -> PackageFile:
        """The tarball of ``name`` ``version`` (fetched and stored on its first download),
        download policies checked."""
        key = repository.key
        filename = tarball_filename(name, version)
        if not await self._packages.files(key, name, version):
            held = await self._packages.version(key, name, version)
            if held is None:
                await self.packument(repository, name)
                held = await self._packages.version(key, name, version)
            if held is None:
                raise ResourceUnknown(
                    f"no version {version} of {name} in remote repository {key!r} or its upstream",
                    {"filename": filename},
                )
            known = held

            async def work() -> None:
                if not await self._packages.files(key, name, version):
                    await self._fetch_tarball(repository, known)

            wait = 2 * _remote_of(repository).timeout_seconds + 600
            for _ in range(2):
                await self._flights.once(f"npm:{key}/{name}@{version}", work, wait)
                if await self._packages.files(key, name, version):
                    break
        return await self._packages.download(key, name, version, filename)

    async def _fetch_tarball(self, repository: RepositoryRecord, version: PackageVersion) -> None:
        remote = _remote_of(repository)
        document = json.loads(version.document)
        dist = document.get("dist") if isinstance(document.get("dist"), dict) else {}
        path = upstream_path(remote.upstream, version.name, version.version, dist.get("tarball"))
        integrity = dist.get("integrity") if isinstance(dist.get("integrity"), str) else None
        shasum = dist.get("shasum") if isinstance(dist.get("shasum"), str) else None
        filename = tarball_filename(version.name, version.version)
        async with self._upstream.open(
            repository.key, remote, "GET", path, headers={"Accept": "application/octet-stream"}
        ) as reply:
            if reply.status != 200:
                what = f"{version.name} {version.version}"
                if reply.status == 404:
                    raise ResourceUnknown(
                        f"the upstream of {repository.key!r} has no tarball of {what}"
                    )
                raise UpstreamUnavailable(
                    f"the upstream of remote repository {repository.key!r} answered "
                    f"{reply.status} for the tarball of {what}",
                    {"repository": repository.key, "status": reply.status},
                )
            claimed = (
                Checksums.claimed(sha1=shasum) if shasum and len(shasum) == 40 else Checksums()
            )
            staged = await self._packages.stage(
                repository,
                filename,
                _verified(reply.chunks(), integrity, repository.key, filename),
                claimed,
                reply.size,
            )
        await self._packages.publish(REMOTE_CACHE, repository, version, [NewFile(staged)])


def upstream_path(upstream: str, name: str, version: str, tarball: object) -> str:
    """The tarball's path below the upstream's URL: as the packument names it when it is
    under the upstream, npm's own layout otherwise (never another host's URL)."""
    base = upstream.rstrip("/")
    if isinstance(tarball, str) and tarball.startswith(base + "/"):
        rest = tarball[len(base) :]
        if ".." not in rest.split("/") and "?" not in rest and "#" not in rest:
            return rest
    return f"/{name}/-/{tarball_filename(name, version)}"


async def _verified(
    chunks: AsyncIterator[bytes], integrity: str | None, key: str, filename: str
) -> AsyncIterator[bytes]:
    """The chunks, their sha512 checked against ``integrity`` once all are in."""
    wanted = None
    if integrity is not None:
        wanted = next(
            (c.removeprefix("sha512-") for c in integrity.split() if c.startswith("sha512-")), None
        )
    hasher = hashlib.sha512()
    async for chunk in chunks:
        hasher.update(chunk)
        yield chunk
    if wanted is not None and base64.b64encode(hasher.digest()).decode() != wanted:
        raise UpstreamUnavailable(
            f"the upstream of remote repository {key!r} sent a tarball {filename} whose "
            "sha512 is not its packument's integrity; nothing was stored",
            {"repository": key},
        )


def _version_row(
    key: str,
    name: str,
    version: object,
    manifest: object,
    times: Mapping[str, Any],
    now: float,
) -> PackageVersion | None:
    if not isinstance(version, str) or not is_version(version):
        return None
    if len(version) > MAX_VERSION or len(name) > MAX_NAME:
        return None
    if not isinstance(manifest, dict) or manifest.get("name", name) != name:
        return None
    dist = manifest.get("dist")
    if not isinstance(dist, dict) or not (dist.get("integrity") or dist.get("shasum")):
        return None  # nothing to check its tarball against
    deprecated = manifest.get("deprecated")
    created = now
    stamp = times.get(version)
    if isinstance(stamp, str):
        try:
            created = parse_rfc3339(stamp)
        except ValueError:
            created = now
    document = {k: v for k, v in manifest.items() if k not in ("deprecated", "_id")}
    return PackageVersion(
        key,
        name,
        version,
        created,
        FETCHED_BY,
        deprecated if isinstance(deprecated, str) and deprecated else None,
        json.dumps(document, sort_keys=True),
    )


__all__ = ["NpmRemote", "escaped", "upstream_path"]

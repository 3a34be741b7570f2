"""``npm publish``: the document npm PUTs (one new version's manifest, its dist-tags and its
tarball as a base64 ``_attachments`` entry) checked and stored.

Before anything is visible: the name is one npm would accept and the one in the URL, there
is exactly one version, a valid semantic version, the tarball has the ``integrity`` (sha512)
and ``shasum`` (sha1) its ``dist`` claims, and its own ``package/package.json`` names the
same package and version. Then the version, its tarball and its dist-tags are published in
one step (``PackageFiles.publish``); a version that exists is a conflict unless the
repository allows overwriting.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from anyio import to_thread

from cargohold.core.checksums import Checksums
from cargohold.core.errors import BadRequest, Conflict, Denied
from cargohold.records.packages import PackageVersion
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.npm.names import (
    tarball_filename,
    validate_name,
    validate_tag,
    validate_version,
)
from cargohold.registry.npm.reading import FORMAT
from cargohold.registry.npm.tarballs import TarballUnreadable, read_package_json
from cargohold.registry.packages.files import NewFile, PackageFiles
from cargohold.registry.packages.virtual import PackageMembers

CHUNK = 1024 * 1024
MAX_TAGS = 100
# What of a version's dist the registry keeps besides the checksums it checked itself.
DIST_KEPT = ("fileCount", "unpackedSize", "signatures", "npm-signature", "attestations")


@dataclass(frozen=True, slots=True)
class Published:
    name: str
    version: str
    tags: Mapping[str, str]


def sri_sha512(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"{what} must be a JSON object")
    return value


def _string(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"{what} must be a string")
    return value


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), CHUNK):
        yield data[start : start + CHUNK]


class NpmPublishing:
    def __init__(
        self, packages: PackageFiles, members: PackageMembers, clock: Callable[[], float]
    ) -> None:
        self._packages = packages
        self._members = members
        self._clock = clock

    async def target(
        self, principal: Principal | None, key: str, action: Action
    ) -> RepositoryRecord:
        """The local repository a change to ``key`` goes to (a virtual repository's default
        deploy repository), ``action`` checked on both."""
        repository = await self._packages.allowed(principal, key, FORMAT, action)
        if repository.kind == "virtual":
            target = await self._members.deploy_target(repository)
            return await self._packages.allowed(principal, target.key, FORMAT, action)
        if repository.kind != "local":
            raise Denied(
                f"repository {key!r} is a {repository.kind} repository and takes no "
                "publishes: publish to a local repository, or to a virtual one with a "
                "default deploy repository",
                {"repository": key},
            )
        return repository

    async def publish(
        self, actor: Actor, key: str, name: str, body: Mapping[str, Any]
    ) -> Published:
        """Publish the one new version of ``body`` (npm's publish document)."""
        validate_name(name)
        repository = await self.target(actor.principal, key, Action.WRITE)
        if "name" in body and body["name"] != name:
            raise BadRequest(f"the document names {str(body['name'])[:100]!r}, the URL {name!r}")
        versions = _object(body.get("versions"), "versions")
        if len(versions) != 1:
            raise BadRequest(
                f"a publish carries exactly one new version, not {len(versions)}: publish "
                "versions one at a time"
            )
        [(version, manifest)] = versions.items()
        validate_version(version)
        manifest = _object(manifest, f"versions[{version!r}]")
        if manifest.get("name") != name or manifest.get("version") != version:
            raise BadRequest(
                f"the manifest of {version} names {str(manifest.get('name'))[:100]!r} "
                f"{str(manifest.get('version'))[:100]!r}, not {name} {version}"
            )
        data = await to_thread.run_sync(_attachment, body, name, version)
        dist = _object(manifest.get("dist", {}), "dist")
        checked = _checked_dist(data, dist, name, version)
        tags = _tags(body.get("dist-tags"), version)
        filename = tarball_filename(name, version)
        staged = await self._packages.stage(
            repository, filename, _chunks(data), Checksums(sha1=checked["shasum"]), len(data)
        )
        try:
            own = await self._packages.inspect(staged, _read_manifest)
            if own.get("name") != name or own.get("version") != version:
                raise BadRequest(
                    f"the tarball's package.json names {str(own.get('name'))[:100]!r} "
                    f"{str(own.get('version'))[:100]!r}, not {name} {version}: pack it again "
                    "with `npm pack` from the package's directory"
                )
        except BaseException:
            await self._packages.discard([staged])
            raise
        document = {k: v for k, v in manifest.items() if k not in ("dist", "_id", "deprecated")}
        document["dist"] = checked
        record = PackageVersion(
            repository.key,
            name,
            version,
            self._clock(),
            actor.name,
            None,
            json.dumps(document, sort_keys=True),
        )
        try:
            await self._packages.publish(
                actor, repository, record, [NewFile(staged)], new_version=True, tags=tags
            )
        except Conflict as exc:
            raise Conflict(
                f"You cannot publish over the previously published versions: {version}. "
                f"({name} {version} is already in repository {repository.key!r}, which does "
                "not allow overwriting.)",
                exc.detail,
            ) from exc
        return Published(name, version, tags)


def _attachment(body: Mapping[str, Any], name: str, version: str) -> bytes:
    attachments = _object(body.get("_attachments"), "_attachments")
    if len(attachments) != 1:
        raise BadRequest(f"a publish carries exactly one tarball, not {len(attachments)}")
    [(filename, attachment)] = attachments.items()
    if filename != tarball_filename(name, version) and not filename.endswith(".tgz"):
        raise BadRequest(f"attachment {str(filename)[:100]!r} is not a .tgz tarball")
    attachment = _object(attachment, "the attachment")
    encoded = _string(attachment.get("data"), "the attachment's data")
    try:
        data = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise BadRequest(f"the attachment's data is not base64: {exc}") from exc
    length = attachment.get("length")
    if length is not None and length != len(data):
        raise BadRequest(f"the attachment is {len(data)} bytes, not the {length} it claims")
    return data


def _checked_dist(data: bytes, dist: Mapping[str, Any], name: str, version: str) -> dict[str, Any]:
    integrity = sri_sha512(data)
    shasum = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    claimed_integrity = dist.get("integrity")
    claimed_shasum = dist.get("shasum")
    if claimed_integrity is None and claimed_shasum is None:
        raise BadRequest(f"the dist of {name} {version} has no integrity or shasum to check")
    if claimed_integrity is not None:
        claims = _string(claimed_integrity, "dist.integrity").split()
        sha512 = [c for c in claims if c.startswith("sha512-")]
        if not sha512 or integrity not in sha512:
            raise BadRequest(
                f"the tarball of {name} {version} does not match its dist.integrity: it is "
                f"{integrity}"
            )
    if claimed_shasum is not None and _string(claimed_shasum, "dist.shasum").lower() != shasum:
        raise BadRequest(
            f"the tarball of {name} {version} does not match its dist.shasum: it is {shasum}"
        )
    kept = {k: dist[k] for k in DIST_KEPT if k in dist}
    return {**kept, "integrity": integrity, "shasum": shasum}


def _tags(value: object, version: str) -> dict[str, str]:
    if value is None:
        return {"latest": version}
    tags = _object(value, "dist-tags")
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"at most {MAX_TAGS} dist-tags")
    # npm sends the tag being published; any other tag the document repeats is left as is.
    return {validate_tag(str(tag)): version for tag, target in tags.items() if target == version}


def _read_manifest(path: str) -> dict[str, Any]:
    try:
        return read_package_json(path)
    except TarballUnreadable as exc:
        raise BadRequest(f"the tarball cannot be read: {exc}") from exc


__all__ = ["NpmPublishing", "Published", "sri_sha512"]

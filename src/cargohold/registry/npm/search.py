"""``npm search``: the packages of a repository (a virtual repository's readable members; a
remote repository's cached packages) whose name holds every word of the query, each shown
by its latest version, in the registry's ``/-/v1/search`` shape."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cargohold.records.packages import PackageVersion
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.npm.reading import NpmReading
from cargohold.registry.packages.files import PackageFiles
from cargohold.registry.packages.virtual import PackageMembers

MAX_SIZE = 250
MAX_TEXT = 256


@dataclass(frozen=True, slots=True)
class Found:
    version: PackageVersion
    manifest: dict[str, Any]


class NpmSearch:
    def __init__(
        self, packages: PackageFiles, members: PackageMembers, reading: NpmReading
    ) -> None:
        self._packages = packages
        self._members = members
        self._reading = reading

    async def search(
        self, principal: Principal | None, key: str, text: str, size: int, start: int
    ) -> tuple[list[Found], int]:
        """A page (``size`` from ``start``) of the packages whose name holds every word of
        ``text`` (qualifiers such as ``keywords:`` are left out), and how many there are."""
        repository = await self._reading.repository(principal, key)
        keys = [repository.key]
        if repository.kind == "virtual":
            keys = [m.key for m in await self._members.readable(principal, repository)]
        words = [w.lower() for w in text[:MAX_TEXT].split() if ":" not in w]
        names: list[str] = []
        for member in keys:
            for name in await self._packages.names(member):
                if name not in names and all(w in name.lower() for w in words):
                    names.append(name)
        names.sort()
        page = names[start : start + min(max(size, 0), MAX_SIZE)]
        found = []
        for name in page:
            for member in keys:
                latest = await self._latest(member, name)
                if latest is not None:
                    found.append(latest)
                    break
        return found, len(names)

    async def _latest(self, key: str, name: str) -> Found | None:
        versions = await self._packages.versions(key, name)
        if not versions:
            return None
        tags = {t.tag: t.version for t in await self._packages.tags(key, name)}
        latest = next((v for v in versions if v.version == tags.get("latest")), versions[-1])
        manifest = json.loads(latest.document)
        return Found(latest, manifest if isinstance(manifest, dict) else {})


__all__ = ["Found", "NpmSearch"]

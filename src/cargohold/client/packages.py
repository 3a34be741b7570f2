"""Package versions of PyPI and npm repositories through the REST API: list packages and a
package's versions, yank (npm: deprecate) and undo it, delete a version, promote one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cargohold.client.session import RestSession, segment
from cargohold.wire.packages import (
    PackageFileInfo,
    PackagePromotionResult,
    PackagesDeleted,
    PackageSummary,
    PackageVersionInfo,
    PackageVersions,
    Yanked,
)


def _package(repository: str, name: str) -> str:
    """``/packages/REPO/NAME``: a scoped npm name (``@team/ui``) keeps its slash."""
    return f"/packages/{segment(repository)}/" + "/".join(segment(p) for p in name.split("/"))


class Packages:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def list(self, repository: str, limit: int | None = None) -> list[PackageSummary]:
        """The packages of a PyPI or npm repository, by name."""
        return self._session.items(f"/packages/{segment(repository)}", PackageSummary, limit=limit)

    def versions(self, repository: str, name: str) -> PackageVersions:
        """A package's versions, oldest first, with their files, dist-tags and properties."""
        return self._session.call_object(
            "GET", f"{_package(repository, name)}/versions", PackageVersions
        )

    def yank(self, repository: str, name: str, version: str, reason: str = "") -> Yanked:
        """Yank a version (PyPI: installers skip it unless pinned; npm: deprecate it, installs
        warn with ``reason``)."""
        path = f"{_package(repository, name)}/{segment(version)}/yank"
        return self._session.call_object("POST", path, Yanked, body={"reason": reason})

    def unyank(self, repository: str, name: str, version: str) -> Yanked:
        path = f"{_package(repository, name)}/{segment(version)}/yank"
        return self._session.call_object("DELETE", path, Yanked)

    def delete(self, repository: str, name: str, version: str) -> PackagesDeleted:
        """Delete a version with its files (needs delete, and a repository that allows
        unpublishing)."""
        path = f"{_package(repository, name)}/{segment(version)}"
        return self._session.call_object("DELETE", path, PackagesDeleted)

    def promote(
        self,
        repository: str,
        name: str,
        version: str,
        target_repository: str,
        *,
        copy: bool = True,
        dry_run: bool = False,
        properties: Mapping[str, Sequence[str]] | None = None,
        comment: str = "",
    ) -> PackagePromotionResult:
        """Promote a version (all its files) to another repository of its format, by
        metadata: ``copy=False`` moves it (needs delete on the source)."""
        body: dict[str, Any] = {
            "targetRepo": target_repository,
            "name": name,
            "version": version,
            "copy": copy,
            "dryRun": dry_run,
            "comment": comment,
        }
        if properties:
            body["properties"] = {key: list(values) for key, values in properties.items()}
        path = f"/packages/{segment(repository)}/promote"
        return self._session.call_object("POST", path, PackagePromotionResult, body=body)


__all__ = [
    "PackageFileInfo",
    "PackagePromotionResult",
    "PackageSummary",
    "PackageVersionInfo",
    "PackageVersions",
    "Packages",
    "PackagesDeleted",
    "Yanked",
]

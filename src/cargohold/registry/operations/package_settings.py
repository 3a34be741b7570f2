"""What a PyPI or npm repository allows beyond the defaults, as a creation or an update gives
it: a local repository's ``allowOverwrite`` (re-uploading a file or version that exists) and
``allowUnpublish`` (deleting versions), a virtual repository's ``trustRemoteNames`` (whether
a remote member may serve a name that a local member holds).

All three are an administrator's, even on a repository someone else manages: overwriting and
unpublishing weaken what a release repository guarantees (what was installed once is what
installs again), and trusting remote names lowers the guard against dependency confusion (a
public package taking the name of an internal one). Each is refused, naming it, for a
repository of another format or kind: it would be stored and never used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cargohold.core.errors import RepositoryInvalid
from cargohold.records.packages import PackageSettings
from cargohold.registry.packages.files import PACKAGE_FORMATS

# The package formats that have virtual repositories (and so remote names to trust).
VIRTUAL_FORMATS = ("pypi", "npm")


@dataclass(frozen=True, slots=True)
class PackageChange:
    """What a local PyPI or npm repository allows, as given (None: as it is, or the
    default on creation)."""

    overwrite: bool | None = None
    unpublish: bool | None = None

    @property
    def fields(self) -> list[str]:
        """The names of the settings given, as the REST API spells them."""
        return [
            name
            for name, value in (
                ("allowOverwrite", self.overwrite),
                ("allowUnpublish", self.unpublish),
            )
            if value is not None
        ]

    def applied_to(self, current: PackageSettings) -> PackageSettings:
        return PackageSettings(
            overwrite=current.overwrite if self.overwrite is None else self.overwrite,
            unpublish=current.unpublish if self.unpublish is None else self.unpublish,
        )


def check_package_fields(key: str, format: str, kind: str, fields: Sequence[str]) -> None:
    """Refuse ``fields`` (settings of local PyPI and npm repositories) for another
    repository."""
    if fields and (format not in PACKAGE_FORMATS or kind != "local"):
        raise RepositoryInvalid(_misplaced(key, format, kind, fields, "local", PACKAGE_FORMATS))


def check_trust_field(key: str, format: str, kind: str) -> None:
    """Refuse ``trustRemoteNames`` for anything but a virtual PyPI or npm repository."""
    if format not in VIRTUAL_FORMATS or kind != "virtual":
        raise RepositoryInvalid(
            _misplaced(key, format, kind, ["trustRemoteNames"], "virtual", VIRTUAL_FORMATS)
        )


def _misplaced(
    key: str,
    format: str,
    kind: str,
    fields: Sequence[str],
    owner: str,
    formats: Sequence[str],
) -> str:
    settings = "is a setting" if len(fields) == 1 else "are settings"
    named = " and ".join([", ".join(formats[:-1]), formats[-1]] if len(formats) > 1 else formats)
    return (
        f"{', '.join(fields)} {settings} of {owner} {named} "
        f"repositories; repository {key!r} is a {kind} {format} repository"
    )


__all__ = ["PackageChange", "check_package_fields", "check_trust_field"]

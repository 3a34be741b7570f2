"""Repositories as values: key, format, kind and settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from cargohold.records.packages import PackageSettings

DEFAULT_REVALIDATE_SECONDS = 300
DEFAULT_UPSTREAM_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Remote:
    """Where a remote repository fetches from, and how.

    ``password`` is write-only: stored, used upstream, never shown back."""

    upstream: str  # the upstream's base URL: https://registry-1.docker.io
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    verify_tls: bool = True  # off only when the repository says so explicitly
    revalidate_seconds: int = DEFAULT_REVALIDATE_SECONDS  # how long a tag is trusted as cached
    timeout_seconds: float = DEFAULT_UPSTREAM_TIMEOUT  # connect and read, per request
    offline: bool = False  # serve only what is cached; never ask the upstream


@dataclass(frozen=True, slots=True)
class Virtual:
    """The repositories a virtual repository resolves names in, in order, and the one a push
    to it goes to (None: pushes are refused)."""

    members: tuple[str, ...]
    default_deploy: str | None = None
    # package formats: a name a local member holds is never taken from a remote member (the
    # dependency-confusion guard) unless this is set
    trust_remote_names: bool = False


@dataclass(frozen=True, slots=True)
class RepositoryRecord:
    key: str
    format: str
    kind: str  # local, remote or virtual
    anonymous_read: bool
    description: str = ""
    immutable_tags: bool = False
    quota_bytes: int | None = None  # the bytes of unique blobs it may hold; None: no quota
    remote: Remote | None = None  # set for kind remote
    virtual: Virtual | None = None  # set for kind virtual
    packages: PackageSettings | None = None  # what a PyPI or npm repository allows


@dataclass(frozen=True, slots=True)
class Holdings:
    """What a repository holds: tags, manifests (tagged or not) and generic files."""

    tags: int = 0
    manifests: int = 0
    files: int = 0

    def __bool__(self) -> bool:
        return bool(self.tags or self.manifests or self.files)

    def __str__(self) -> str:
        return ", ".join(
            f"{count} {noun if count == 1 else noun + 's'}"
            for count, noun in (
                (self.tags, "tag"),
                (self.manifests, "manifest"),
                (self.files, "file"),
            )
        )


__all__ = [
    "DEFAULT_REVALIDATE_SECONDS",
    "DEFAULT_UPSTREAM_TIMEOUT",
    "Holdings",
    "Remote",
    "RepositoryRecord",
    "Virtual",
]

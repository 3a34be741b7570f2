"""Repositories on the wire."""

from __future__ import annotations

from typing import Annotated

from cargohold.wire.base import UNSET, Body, Meta, UnsetType, Wire, described


class Repository(Wire, frozen=True):
    key: str
    format: str
    kind: str
    anonymous_read: bool
    immutable_tags: Annotated[
        bool, described("An existing tag can be neither overwritten nor deleted.")
    ]
    description: str
    quota_bytes: Annotated[
        int | None,
        described(
            "The bytes of distinct blobs the repository may hold; a push that would exceed "
            "it is refused. null: no quota."
        ),
    ] = None
    used_bytes: Annotated[
        int, described("The bytes of the distinct blobs the repository holds.")
    ] = 0


QuotaBytes = Annotated[int, Meta(ge=0, examples=[10 * 1024**3])] | None


class RepositoryCreate(Body, frozen=True):
    key: Annotated[str, Meta(examples=["team-app"])]
    format: str = "docker"
    kind: str = "local"
    description: str = ""
    anonymous_read: bool = False
    immutable_tags: bool = False
    quota_bytes: QuotaBytes = None


class RepositoryUpdate(Body, frozen=True):
    anonymous_read: bool | UnsetType = UNSET
    immutable_tags: bool | UnsetType = UNSET
    description: str | UnsetType = UNSET
    quota_bytes: Annotated[
        QuotaBytes | UnsetType, described("Only an administrator may set it; null removes it.")
    ] = UNSET


class RepositoryDeletion(Wire, frozen=True):
    """What deleting a repository removed with it."""

    key: str
    tags: int
    manifests: int
    files: int


class ImageDeletion(Wire, frozen=True):
    """What deleting a tag or a manifest of a docker repository removed, and what stays."""

    name: Annotated[str, described("The image, as repository/path.")]
    digest: Annotated[str, described("The manifest the deleted tag pointed to, or deleted.")]
    tags_removed: Annotated[list[str], described("The tags deleted.")]
    manifest_removed: Annotated[bool, described("Whether the manifest itself was deleted.")]
    remaining_tags: Annotated[
        list[str],
        described("The tags that still point to the manifest (it stays while any do)."),
    ]


__all__ = [
    "ImageDeletion",
    "Repository",
    "RepositoryCreate",
    "RepositoryDeletion",
    "RepositoryUpdate",
]

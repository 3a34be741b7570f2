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


class RepositoryCreate(Body, frozen=True):
    key: Annotated[str, Meta(examples=["team-app"])]
    format: str = "docker"
    kind: str = "local"
    description: str = ""
    anonymous_read: bool = False
    immutable_tags: bool = False


class RepositoryUpdate(Body, frozen=True):
    anonymous_read: bool | UnsetType = UNSET
    immutable_tags: bool | UnsetType = UNSET
    description: str | UnsetType = UNSET


__all__ = ["Repository", "RepositoryCreate", "RepositoryUpdate"]

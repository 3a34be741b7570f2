"""Search results on the wire."""

from __future__ import annotations

from typing import Annotated, Literal

from cargohold.wire.base import Timestamp, Wire, described

SearchType = Literal["image", "file"]
PropertyMap = Annotated[dict[str, list[str]], described("Key → values.")]


class SearchItem(Wire, frozen=True):
    """An image (one digest of one image, with its tags) or a generic file."""

    type: SearchType
    repository: str
    name: Annotated[str, described("The image name (team/app) or the file path.")]
    digest: str
    tags: Annotated[tuple[str, ...], described("An image's tags (none for a file).")]
    size: Annotated[int, described("Bytes: a file's; an image's manifest, config and layers.")]
    created: Timestamp
    modified: Timestamp
    properties: PropertyMap


__all__ = ["PropertyMap", "SearchItem", "SearchType"]

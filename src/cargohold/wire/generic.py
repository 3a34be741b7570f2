"""Generic files and their promotion on the wire."""

from __future__ import annotations

from typing import Annotated

from cargohold.wire.base import Meta, Timestamp, Wire

HexDigest = Annotated[str, Meta(pattern="^[0-9a-f]+$")]


class GenericFile(Wire, frozen=True):
    path: Annotated[str, Meta(examples=["web/1.4/app.tgz"])]
    size: int
    sha256: HexDigest
    sha1: HexDigest
    md5: HexDigest
    created: Timestamp
    last_modified: Timestamp
    created_by: str


__all__ = ["GenericFile", "HexDigest"]

"""A package uploaded to a Debian repository, as the upload answers (``PUT /deb/...``)."""

from __future__ import annotations

from cargohold.wire.base import Wire


class DebChecksums(Wire, frozen=True):
    sha256: str
    sha1: str
    md5: str


class DebUploaded(Wire, frozen=True):
    repo: str
    path: str
    package: str
    version: str
    architecture: str
    distributions: list[str]
    components: list[str]
    size: int
    checksums: DebChecksums
    download_uri: str


__all__ = ["DebChecksums", "DebUploaded"]

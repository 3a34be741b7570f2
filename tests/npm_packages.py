"""npm packages for the tests: a tarball as ``npm pack`` makes it (``package/package.json``
and files), and the document ``npm publish`` PUTs with it."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from typing import Any


def tarball(
    name: str,
    version: str,
    files: dict[str, bytes] | None = None,
    manifest: dict[str, Any] | None = None,
    *,
    first: bool = False,
) -> bytes:
    """A gzipped tarball holding ``package/package.json`` (``manifest`` or the name and
    version) and ``files`` under ``package/`` (``first``: before the package.json)."""
    package_json = manifest if manifest is not None else {"name": name, "version": version}
    own = {"package.json": json.dumps(package_json).encode()}
    members = {**(files or {}), **own} if first else {**own, **(files or {})}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as archive:
        for path, data in members.items():
            info = tarfile.TarInfo(f"package/{path}")
            info.size = len(data)
            info.mtime = 499162500
            archive.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def shasum(data: bytes) -> str:
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def publish_body(
    name: str,
    version: str,
    data: bytes | None = None,
    *,
    tag: str = "latest",
    registry: str = "http://registry/npm/npm-local",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What ``npm publish`` PUTs to ``/NAME`` for ``version`` with tarball ``data``."""
    data = tarball(name, version) if data is None else data
    basename = name.rpartition("/")[2]
    filename = f"{basename}-{version}.tgz"
    manifest = {
        "name": name,
        "version": version,
        "description": f"{name} for the tests",
        "_id": f"{name}@{version}",
        **(extra or {}),
        "dist": {
            "integrity": integrity(data),
            "shasum": shasum(data),
            "tarball": f"{registry}/{name}/-/{filename}",
        },
    }
    return {
        "_id": name,
        "name": name,
        "description": manifest["description"],
        "dist-tags": {tag: version},
        "versions": {version: manifest},
        "access": None,
        "_attachments": {
            filename: {
                "content_type": "application/octet-stream",
                "data": base64.b64encode(data).decode(),
                "length": len(data),
            }
        },
    }

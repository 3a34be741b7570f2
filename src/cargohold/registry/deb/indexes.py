"""A distribution's indexes, rendered from what it lists: each component's
``binary-ARCH/Packages`` (plain, ``.gz``, ``.xz``) and the ``Release`` that names them with
their sizes and hashes (Debian's repository format, wiki.debian.org/DebianRepository/Format).

A package of architecture ``all`` is listed in every architecture's index of its component;
a distribution that holds only such packages has the one index ``binary-all``. An index
published before stays, empty once nothing is listed in it: a client configured for a
component whose last package went still reads an index, not an error.
"""

from __future__ import annotations

import gzip
import hashlib
import lzma
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from email.utils import formatdate

from cargohold.records.deb import ALL, Listed

HASHES = (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256"))
BY_HASH = "SHA256"  # the one by-hash directory served: apt asks for the strongest listed


@dataclass(frozen=True, slots=True)
class Rendered:
    """The files of one distribution's indexes, by path under ``dists/DIST/``."""

    release: bytes
    indexes: dict[str, bytes]  # "main/binary-amd64/Packages.xz" -> its bytes


def render(
    repository: str,
    distribution: str,
    listed: Sequence[Listed],
    now: float,
    published: Collection[tuple[str, str]] = (),
) -> Rendered:
    """The indexes of what ``listed`` says, and of the (component, architecture) pairs
    ``published`` before."""
    by_index: dict[tuple[str, str], list[Listed]] = defaultdict(list)
    components = sorted({one.entry.component for one in listed} | {c for c, _ in published})
    named = {one.entry.architecture for one in listed} | {a for _, a in published}
    architectures = sorted(named - {ALL}) or [ALL]
    for one in listed:
        wanted = architectures if one.entry.architecture == ALL else [one.entry.architecture]
        for architecture in wanted:
            by_index[(one.entry.component, architecture)].append(one)
    indexes: dict[str, bytes] = {}
    for component in components:
        for architecture in architectures:
            stanzas = [_stanza(one) for one in by_index.get((component, architecture), [])]
            text = "\n".join(stanzas).encode()
            base = f"{component}/binary-{architecture}/Packages"
            indexes[base] = text
            indexes[f"{base}.gz"] = gzip.compress(text, mtime=0)
            indexes[f"{base}.xz"] = lzma.compress(text)
    lines = [
        f"Origin: {repository}",
        f"Label: {repository}",
        f"Suite: {distribution}",
        f"Codename: {distribution}",
        f"Date: {formatdate(now, usegmt=True)}",
        f"Architectures: {' '.join(architectures)}",
        f"Components: {' '.join(components)}",
        "Acquire-By-Hash: yes",
    ]
    for field, algorithm in HASHES:
        lines.append(f"{field}:")
        for path, data in indexes.items():
            digest = hashlib.new(algorithm, data, usedforsecurity=False).hexdigest()
            lines.append(f" {digest} {len(data):>16} {path}")
    return Rendered(("\n".join(lines) + "\n").encode(), indexes)


def by_hash_path(path: str, data: bytes) -> str:
    """Where an index's bytes are also served by their hash (``Acquire-By-Hash``)."""
    folder = path.rpartition("/")[0]
    return f"{folder}/by-hash/{BY_HASH}/{hashlib.sha256(data).hexdigest()}"


def published_pairs(paths: Collection[str]) -> set[tuple[str, str]]:
    """The (component, architecture) of each ``C/binary-A/Packages`` among index paths
    (relative to ``dists/DIST/``)."""
    pairs = set()
    for path in paths:
        parts = path.split("/")
        if len(parts) == 3 and parts[2] == "Packages" and parts[1].startswith("binary-"):
            pairs.add((parts[0], parts[1].removeprefix("binary-")))
    return pairs


def _stanza(one: Listed) -> str:
    file = one.file.file
    control = (one.file.core_metadata or b"").decode()
    return (
        f"{control}Filename: {file.path}\nSize: {file.size}\nMD5sum: {file.md5}\n"
        f"SHA1: {file.sha1}\nSHA256: {file.digest.partition(':')[2]}\n"
    )


__all__ = ["BY_HASH", "Rendered", "by_hash_path", "published_pairs", "render"]

"""What a .deb says of itself: its control paragraph, read from the package and checked
(one paragraph, the fields apt needs, names and versions dpkg would accept)."""

from __future__ import annotations

import lzma
import re
import tarfile
from dataclasses import dataclass

import zstandard

from cargohold.analysis.catalogers.deb_package import control_at
from cargohold.analysis.catalogers.debian_control import paragraphs
from cargohold.core.errors import BadRequest

MAX_CONTROL = 1024 * 1024  # the largest control member (and control file) accepted
PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+")  # Debian policy 5.6.1
VERSION = re.compile(r"([0-9]+:)?[0-9A-Za-z][0-9A-Za-z.+~-]*")  # 5.6.12, leniently
ARCHITECTURE = re.compile(r"[a-z0-9][a-z0-9-]*")
# what the index adds to a package's paragraph: a package's own value is dropped
INDEX_FIELDS = frozenset({"filename", "size", "md5sum", "sha1", "sha256", "sha512"})


@dataclass(frozen=True, slots=True)
class Control:
    package: str
    version: str
    architecture: str
    text: str  # the paragraph as the package wrote it, one field a line, newline-terminated


def read_control(path: str) -> Control:
    """The checked control paragraph of the .deb at ``path``; BadRequest when the file is
    not a Debian binary package apt could install."""
    try:
        text = control_at(path, MAX_CONTROL)
    except (
        tarfile.TarError,
        OSError,
        EOFError,
        ValueError,
        lzma.LZMAError,
        zstandard.ZstdError,
    ) as exc:
        raise BadRequest(f"not a Debian package dpkg could read: {exc}") from None
    if text is None:
        raise BadRequest("not a Debian package: a .deb is an ar archive (dpkg-deb --build)")
    return checked(text)


def checked(text: str) -> Control:
    found = list(paragraphs(text))
    if len(found) != 1:
        raise BadRequest(f"the package's control file has {len(found)} paragraphs, not one")
    (fields,) = found
    missing = [f for f in ("Package", "Version", "Architecture") if not fields.get(f)]
    if missing:
        raise BadRequest(f"the package's control file has no {', '.join(missing)}")
    package, version, architecture = (
        fields["Package"],
        fields["Version"],
        fields["Architecture"],
    )
    for what, value, pattern in (
        ("package name", package, PACKAGE),
        ("version", version, VERSION),
        ("architecture", architecture, ARCHITECTURE),
    ):
        if len(value) > 128 or not pattern.fullmatch(value):
            raise BadRequest(f"the package's {what} {value[:130]!r} is not one dpkg accepts")
    return Control(package, version, architecture, _paragraph(text))


def _paragraph(text: str) -> str:
    """The paragraph's lines, without blank lines and without what the index adds."""
    kept: list[str] = []
    dropping = False
    for line in text.splitlines():
        if not line.strip():
            continue
        if line[0] in " \t":
            if not dropping:
                kept.append(line.rstrip())
            continue
        dropping = line.partition(":")[0].strip().lower() in INDEX_FIELDS
        if not dropping:
            kept.append(line.rstrip())
    return "".join(f"{line}\n" for line in kept)


__all__ = ["MAX_CONTROL", "Control", "checked", "read_control"]

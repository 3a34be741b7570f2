"""What a .deb says of itself: its control paragraph, read from the package and checked
(one paragraph, the fields apt needs, names and versions dpkg would accept)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cargohold.analysis.catalogers.deb_package import control_at
from cargohold.core.errors import BadRequest

MAX_CONTROL = 1024 * 1024  # the largest control member (and control file) accepted
PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]{1,127}")  # Debian policy 5.6.1
VERSION = re.compile(r"([0-9]+:)?[0-9A-Za-z][0-9A-Za-z.+~-]{0,127}")  # 5.6.12, leniently
ARCHITECTURE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # what deb_entries holds
FIELD = re.compile(r"[!-9;-~][!-9;-~]*")  # policy 5.1: printable ASCII but ':' and space
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
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
    except ValueError as exc:
        raise BadRequest(f"not a Debian package dpkg could read: {exc}") from None
    if text is None:
        raise BadRequest("not a Debian package: a .deb is an ar archive (dpkg-deb --build)")
    return checked(text)


def checked(text: str) -> Control:
    """The control paragraph ``text``, checked line by line the way dpkg reads it (lines end
    at "\\n" only; each is a field or the continuation of the one before; no field twice) and
    kept as written but for the fields the index adds: what apt reads is what was checked."""
    fields: dict[str, str] = {}
    kept: list[str] = []
    current: str | None = None
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()  # the file's final newline (and blank lines after the paragraph)
    for number, line in enumerate(lines, 1):
        if CONTROL_CHARACTER.search(line):
            raise BadRequest(f"line {number} of the package's control file has a control character")
        if not line.strip():
            raise BadRequest("the package's control file has more than one paragraph")
        if line[0] in " \t":
            if current is None:
                raise BadRequest(f"line {number} of the package's control file continues no field")
            if current.lower() not in INDEX_FIELDS:
                kept.append(line.rstrip())
            continue
        name, colon, value = line.partition(":")
        if not colon or not FIELD.fullmatch(name):
            raise BadRequest(f"line {number} of the package's control file is not 'Field: value'")
        if name.lower() in {f.lower() for f in fields}:
            raise BadRequest(f"the package's control file has the field {name!r} twice")
        fields[name] = value.strip()
        current = name
        if name.lower() not in INDEX_FIELDS:
            kept.append(line.rstrip())
    missing = [f for f in ("Package", "Version", "Architecture") if not fields.get(f)]
    if missing:
        raise BadRequest(f"the package's control file has no {', '.join(missing)}")
    package, version, architecture = (fields["Package"], fields["Version"], fields["Architecture"])
    for what, value, pattern in (
        ("package name", package, PACKAGE),
        ("version", version, VERSION),
        ("architecture", architecture, ARCHITECTURE),
    ):
        if not pattern.fullmatch(value):
            raise BadRequest(f"the package's {what} {value[:130]!r} is not one dpkg accepts")
    return Control(package, version, architecture, "".join(f"{line}\n" for line in kept))


__all__ = ["MAX_CONTROL", "Control", "checked", "read_control"]

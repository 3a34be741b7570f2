"""RPM packages: ``.rpm`` files themselves (``rpm-file``) and the packages installed in a root
file system's SQLite rpm database (``rpmdb``: ``var/lib/rpm/rpmdb.sqlite``, or
``usr/lib/sysimage/rpm/rpmdb.sqlite`` on Fedora and openSUSE).

Both read rpm headers with the small parser below, bounded by ``MAX_TAGS`` and
``MAX_HEADER_BYTES`` (rpm's own limits are 65535 tags and 256 MiB): a .rpm is a 96-byte lead,
a signature header padded to 8 bytes, then the main header; the database's ``Packages``
table holds the main header of each installed package as a "blob" (the same header without
its 8-byte magic). The database is copied to a temporary file and opened read-only and
immutable, so SQLite never writes beside it; a ``-wal`` file next to it is not read (rpm
checkpoints it when it closes the database). ``gpg-pubkey`` entries are imported signing
keys, not packages, and are skipped.

Not read: the BerkeleyDB ``Packages`` file (RHEL/CentOS ≤ 8, Amazon Linux 2) and the NDB
``Packages.db`` (SUSE before the move to SQLite): no pure-Python reader of them is a
dependency of cargohold yet, so images of those distributions show no rpm packages.

Which OSV ecosystem: a header does not name its distribution, only its VENDOR, so the vendor
chooses: Rocky Linux, AlmaLinux, openSUSE, SUSE, Mageia and openEuler publish their own
advisories (naming source packages, looked up by the source rpm's name and version); every
other vendor, and a package without one, falls back to "Red Hat". The RHEL family (Red Hat,
CentOS, and the Fedora, Oracle and Amazon rebuilds of the same packages) is where most rpms
come from, and Red Hat's advisories name binary and source packages alike; a package no
advisory names matches nothing, and a rebuilt package that does is reported with the
evidence and versions that matched rather than silently passed.

The purl is ``pkg:rpm/<namespace>/<name>@<version>-<release>?arch=…&epoch=…``: the namespace
is the vendor's usual purl name (``redhat``, ``rocky``, ``opensuse``, …), else the first word
of an unknown vendor, lower-cased; no vendor, no namespace. ``upstream`` names the source rpm
when its name differs from the package's, as the Debian catalogers do."""

from __future__ import annotations

import contextlib
import re
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

from packageurl import PackageURL

from cargohold.analysis.model import Cataloger, Component, FileEntry

FILE_NAME = "rpm-file"
DB_NAME = "rpmdb"

MAX_TAGS = 0xFFFF
MAX_HEADER_BYTES = 64 << 20
MAX_PACKAGES = 100_000

LEAD_MAGIC = b"\xed\xab\xee\xdb"
_LEAD = 96
_HEADER_MAGIC = b"\x8e\xad\xe8\x01"
_INTRO = struct.Struct("!II")  # index entries, data bytes
_INDEX = struct.Struct("!IIII")  # tag, type, offset, count

NAME, VERSION, RELEASE, EPOCH = 1000, 1001, 1002, 1003
VENDOR, LICENSE, ARCH, SOURCERPM = 1011, 1014, 1022, 1044
_WANTED = frozenset({NAME, VERSION, RELEASE, EPOCH, VENDOR, LICENSE, ARCH, SOURCERPM})

_INT32, _STRING, _STRING_ARRAY, _I18NSTRING = 4, 6, 8, 9

_DATABASES = ("var/lib/rpm/rpmdb.sqlite", "usr/lib/sysimage/rpm/rpmdb.sqlite")

# Vendor (lower-cased prefix) → the OSV ecosystem of its advisories (None: the "Red Hat"
# fallback) and its purl namespace.
_VENDORS: tuple[tuple[str, str | None, str], ...] = (
    ("red hat", None, "redhat"),
    ("centos", None, "centos"),
    ("fedora", None, "fedora"),
    ("oracle", None, "oracle"),
    ("amazon", None, "amzn"),
    ("rocky", "Rocky Linux", "rocky"),
    ("almalinux", "AlmaLinux", "almalinux"),
    ("opensuse", "openSUSE", "opensuse"),
    ("suse", "SUSE", "suse"),
    ("mageia", "Mageia", "mageia"),
    ("openeuler", "openEuler", "openeuler"),
)
FALLBACK_ECOSYSTEM = "Red Hat"

Tags = dict[int, str | int]


class HeaderError(ValueError):
    """An rpm header that cannot be read: truncated, inconsistent, or past the limits."""


def _intro(data: bytes, at: int) -> tuple[int, int]:
    """The index length and data size of the header whose counts start at ``at``."""
    if len(data) < at + _INTRO.size:
        raise HeaderError(f"truncated header at byte {at}")
    count, size = _INTRO.unpack_from(data, at)
    if count > MAX_TAGS or size > MAX_HEADER_BYTES:
        raise HeaderError(f"header at byte {at} is too large: {count} tags, {size} bytes")
    return count, size


def _string(store: bytes, offset: int) -> str:
    end = store.find(b"\x00", offset)
    if end < 0:
        raise HeaderError(f"unterminated string at store offset {offset}")
    return store[offset:end].decode("utf-8", "replace")


def header(data: bytes, at: int = 0) -> tuple[Tags, int]:
    """The tags this module reads from the header blob (index length, data size, index,
    store) starting at ``at``, and the offset where the blob ends."""
    count, size = _intro(data, at)
    index_at = at + _INTRO.size
    store_at = index_at + count * _INDEX.size
    end = store_at + size
    if len(data) < end:
        raise HeaderError(f"header at byte {at} runs past the end ({end} > {len(data)})")
    store = data[store_at:end]
    tags: Tags = {}
    for number in range(count):
        tag, kind, offset, items = _INDEX.unpack_from(data, index_at + number * _INDEX.size)
        if tag not in _WANTED or tag in tags:
            continue
        if offset >= size or items == 0:
            raise HeaderError(f"tag {tag} points outside the header store")
        if kind in (_STRING, _STRING_ARRAY, _I18NSTRING):
            tags[tag] = _string(store, offset)  # the first string (locale) is the one wanted
        elif kind == _INT32:
            if offset + 4 > size:
                raise HeaderError(f"tag {tag} points outside the header store")
            tags[tag] = int.from_bytes(store[offset : offset + 4], "big")
        else:
            raise HeaderError(f"tag {tag} has the unexpected type {kind}")
    return tags, end


def _magic_header(data: bytes, at: int) -> tuple[Tags, int]:
    if data[at : at + 4] != _HEADER_MAGIC:
        raise HeaderError(f"no header magic at byte {at}")
    return header(data, at + 8)


def _header_end(entry: FileEntry, at: int) -> int:
    """Where the magic header at ``at`` of the file ends, reading only its intro."""
    head = entry.read(at + 8 + _INTRO.size)
    if len(head) < at + 8 + _INTRO.size:
        raise HeaderError(f"truncated: the file ends at byte {len(head)}, in the header at {at}")
    if head[at : at + 4] != _HEADER_MAGIC:
        raise HeaderError(f"no header magic at byte {at}")
    count, size = _intro(head, at + 8)
    return at + 8 + _INTRO.size + count * _INDEX.size + size


def file_header(entry: FileEntry) -> Tags | None:
    """The main header of an .rpm file, or None when the file is not an rpm. Only the lead
    and the two headers are read, never the payload."""
    if not entry.read(len(LEAD_MAGIC)).startswith(LEAD_MAGIC):
        return None
    signature_end = _header_end(entry, _LEAD)
    main_at = signature_end + (-signature_end % 8)  # the signature is padded to 8 bytes
    data = entry.read(_header_end(entry, main_at))
    _magic_header(data, _LEAD)
    tags, _ = _magic_header(data, main_at)
    return tags


def ecosystem_and_namespace(vendor: str | None) -> tuple[str, str | None]:
    """The OSV ecosystem and purl namespace a package's VENDOR stands for (see above)."""
    if not vendor or not vendor.strip():
        return FALLBACK_ECOSYSTEM, None
    lowered = vendor.strip().lower()
    for prefix, ecosystem, namespace in _VENDORS:
        if lowered.startswith(prefix):
            return ecosystem or FALLBACK_ECOSYSTEM, namespace
    first = re.sub(r"[^a-z0-9._-]", "", lowered.split()[0])
    return FALLBACK_ECOSYSTEM, first or None


def source_of(source_rpm: str) -> tuple[str, str] | None:
    """``(name, version-release)`` of a source rpm file name: ``hello-1.2-3.el9.src.rpm``."""
    for suffix in (".src.rpm", ".nosrc.rpm"):
        if source_rpm.endswith(suffix):
            parts = source_rpm[: -len(suffix)].rsplit("-", 2)
            if len(parts) == 3 and all(parts):
                return parts[0], f"{parts[1]}-{parts[2]}"
    return None


def _str(tags: Tags, tag: int) -> str | None:
    value = tags.get(tag)
    return (value.strip() or None) if isinstance(value, str) else None


def component(tags: Tags, cataloger: str, evidence: str) -> Component | None:
    """The component of one package header, or None for a gpg-pubkey or a nameless header."""
    name, version, release = _str(tags, NAME), _str(tags, VERSION), _str(tags, RELEASE)
    if not name or not version or not release or name == "gpg-pubkey":
        return None
    raw_epoch = tags.get(EPOCH)
    epoch = raw_epoch if isinstance(raw_epoch, int) else None
    prefix = f"{epoch}:" if epoch is not None else ""
    ecosystem, namespace = ecosystem_and_namespace(_str(tags, VENDOR))
    qualifiers: dict[str, str] = {}
    source_rpm = _str(tags, SOURCERPM)
    if source_rpm is None:  # a source package: it has no source of its own
        qualifiers["arch"] = "src"
        source: tuple[str, str] | None = (name, f"{version}-{release}")
    else:
        if arch := _str(tags, ARCH):
            qualifiers["arch"] = arch
        source = source_of(source_rpm)
        if source is not None and source[0] != name:
            qualifiers["upstream"] = source_rpm
    if epoch is not None:
        qualifiers["epoch"] = str(epoch)
    purl = PackageURL(
        type="rpm",
        namespace=namespace,
        name=name,
        version=f"{version}-{release}",
        qualifiers=qualifiers,
    )
    license_ = _str(tags, LICENSE)
    return Component(
        name=name,
        version=f"{prefix}{version}-{release}",
        ecosystem=ecosystem,
        purl=purl.to_string(),
        cataloger=cataloger,
        evidence=evidence,
        licenses=(license_,) if license_ else (),
        # A source rpm is built from the same spec file: it has the binary's epoch.
        source_name=source[0] if source else None,
        source_version=f"{prefix}{source[1]}" if source else None,
    )


def parse_file(entry: FileEntry) -> Iterator[Component]:
    tags = file_header(entry)
    if tags is not None and (found := component(tags, FILE_NAME, entry.evidence)):
        yield found


def header_blobs(database: Path) -> Iterator[bytes]:
    """The ``Packages`` header blobs of an rpmdb.sqlite file, at most ``MAX_PACKAGES``."""
    uri = database.as_uri() + "?mode=ro&immutable=1"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        db.execute("PRAGMA trusted_schema = OFF")  # the file is input, its schema too
        db.execute("PRAGMA cell_size_check = ON")
        rows = db.execute("SELECT blob FROM Packages ORDER BY hnum LIMIT ?", (MAX_PACKAGES + 1,))
        for number, (blob,) in enumerate(rows):
            if number == MAX_PACKAGES:
                raise HeaderError(f"more than {MAX_PACKAGES} packages")
            if not isinstance(blob, bytes):
                raise HeaderError(f"package {number + 1} is not a header blob")
            yield blob


def parse_database(entry: FileEntry) -> Iterator[Component]:
    data = entry.read()
    found: list[Component] = []
    with tempfile.NamedTemporaryFile(prefix="rpmdb-", suffix=".sqlite") as copy:
        copy.write(data)
        copy.flush()
        try:
            for blob in header_blobs(Path(copy.name)):
                tags, _ = header(blob)
                if package := component(tags, DB_NAME, entry.evidence):
                    found.append(package)
        except sqlite3.Error as exc:
            raise HeaderError(f"not a readable rpm database: {exc}") from exc
    yield from found


FILE_CATALOGER = Cataloger(
    name=FILE_NAME, version="1", patterns=("*.rpm",), parse=parse_file, magic=LEAD_MAGIC
)
DB_CATALOGER = Cataloger(
    name=DB_NAME,
    version="1",
    patterns=(*_DATABASES, *(f"*/{path}" for path in _DATABASES)),
    parse=parse_database,
)

__all__ = [
    "DB_CATALOGER",
    "FILE_CATALOGER",
    "HeaderError",
    "component",
    "ecosystem_and_namespace",
    "file_header",
    "header",
    "source_of",
]

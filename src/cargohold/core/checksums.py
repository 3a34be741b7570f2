"""The checksums a generic file is known by (sha256, sha1, md5), computed while its bytes
stream in and compared with what a client claims (``X-Checksum-*`` headers)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields

from cargohold.core.errors import BadRequest

HEX_LENGTHS = {"sha256": 64, "sha1": 40, "md5": 32}


@dataclass(frozen=True, slots=True)
class Checksums:
    """Lowercase hex digests; None where unknown (a client need not claim all three)."""

    sha256: str | None = None
    sha1: str | None = None
    md5: str | None = None

    @classmethod
    def claimed(cls, **values: str | None) -> Checksums:
        """What a client claims, checked for shape: ``sha256=..., sha1=..., md5=...``."""
        checked: dict[str, str | None] = {}
        for algorithm, value in values.items():
            if value is None:
                checked[algorithm] = None
                continue
            text = value.strip().lower()
            length = HEX_LENGTHS[algorithm]
            if len(text) != length or any(c not in "0123456789abcdef" for c in text):
                raise BadRequest(f"{algorithm} checksum {value[:80]!r} is not {length} hex digits")
            checked[algorithm] = text
        return cls(**checked)

    @classmethod
    def of_any(cls, value: str) -> Checksums:
        """A checksum of unstated algorithm, told apart by its length."""
        text = value.strip()
        for algorithm, length in HEX_LENGTHS.items():
            if len(text) == length:
                return cls.claimed(**{algorithm: text})
        raise BadRequest(
            f"checksum {value[:80]!r} is not a sha256, sha1 or md5 (64, 40 or 32 hex digits)"
        )

    def merged(self, other: Checksums) -> Checksums:
        """Both claims at once; raises BadRequest when they disagree."""
        values: dict[str, str | None] = {}
        for field in fields(self):
            mine, theirs = getattr(self, field.name), getattr(other, field.name)
            if mine is not None and theirs is not None and mine != theirs:
                raise BadRequest(f"two different {field.name} checksums were sent")
            values[field.name] = mine if mine is not None else theirs
        return Checksums(**values)

    def mismatches(self, actual: Checksums) -> list[str]:
        """The algorithms whose claimed value differs from the actual one."""
        return [
            field.name
            for field in fields(self)
            if getattr(self, field.name) is not None
            and getattr(self, field.name) != getattr(actual, field.name)
        ]


class MultiHasher:
    """sha1 and md5 of a stream at once, and sha256 unless ``sha256`` is false (when the
    blob store computes it anyway and a claimed value is to be checked there)."""

    def __init__(self, *, sha256: bool = True) -> None:
        self._sha256 = hashlib.sha256() if sha256 else None
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._md5 = hashlib.md5(usedforsecurity=False)

    def update(self, data: bytes) -> None:
        if self._sha256 is not None:
            self._sha256.update(data)
        self._sha1.update(data)
        self._md5.update(data)

    def result(self) -> Checksums:
        sha256 = self._sha256.hexdigest() if self._sha256 is not None else None
        return Checksums(sha256, self._sha1.hexdigest(), self._md5.hexdigest())


__all__ = ["HEX_LENGTHS", "Checksums", "MultiHasher"]

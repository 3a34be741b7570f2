"""Content digests (``algorithm:hex``) as in the OCI image-spec."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol

from cargohold.core.errors import BadRequest, DigestInvalid

HEX_LENGTH = {"sha256": 64, "sha512": 128}
_DIGEST = re.compile(r"^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$")


class Hasher(Protocol):
    def update(self, data: bytes, /) -> None: ...
    def hexdigest(self) -> str: ...
    def copy(self) -> Hasher: ...


@dataclass(frozen=True, slots=True, order=True)
class Digest:
    algorithm: str
    hex: str

    @classmethod
    def parse(cls, text: str) -> Digest:
        match = _DIGEST.match(text)
        if match is None:
            raise DigestInvalid(
                f"{text[:200]!r} is not a digest; expected algorithm:hex, e.g. sha256:<64 hex>",
                {"digest": text[:200]},
            )
        algorithm, encoded = match.groups()
        expected = HEX_LENGTH.get(algorithm)
        if expected is None:
            raise DigestInvalid(
                f"digest algorithm {algorithm!r} is not supported; use sha256 or sha512",
                {"digest": text[:200]},
            )
        if len(encoded) != expected or not _is_lower_hex(encoded):
            raise DigestInvalid(
                f"{algorithm} digest must be {expected} lowercase hex characters",
                {"digest": text[:200]},
            )
        return cls(algorithm, encoded)

    @classmethod
    def of(cls, data: bytes, algorithm: str = "sha256") -> Digest:
        hasher = new_hasher(algorithm)
        hasher.update(data)
        return cls(algorithm, hasher.hexdigest())

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hex}"


def new_hasher(algorithm: str) -> Hasher:
    if algorithm not in HEX_LENGTH:
        raise DigestInvalid(f"digest algorithm {algorithm!r} is not supported")
    return hashlib.new(algorithm)


def digest_field(text: str, field: str = "digest") -> str:
    """A digest a client sent in ``field`` of a REST request, in canonical form; a 400 that
    names the field and what is wrong with it otherwise."""
    try:
        return str(Digest.parse(text))
    except DigestInvalid as exc:
        raise BadRequest(f"{field}: {exc.message}") from exc


def _is_lower_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


EMPTY_JSON = b"{}"
EMPTY_JSON_DIGEST = Digest.of(EMPTY_JSON)

__all__ = [
    "EMPTY_JSON",
    "EMPTY_JSON_DIGEST",
    "HEX_LENGTH",
    "Digest",
    "Hasher",
    "digest_field",
    "new_hasher",
]

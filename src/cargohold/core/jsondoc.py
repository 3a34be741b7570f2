"""The one reader of JSON a client sends: bounded in size, nesting depth and number length.

Every body that arrives from outside (manifests and indexes, REST bodies, OSV imports) is
read here. orjson parses without recursing on the C stack past its own depth limit (1024),
so a document nested a million levels deep is refused like any malformed one instead of
exhausting the interpreter's stack; the lower limit of each kind of document is then checked
on the parsed value without recursion. Number literals are bounded before parsing: a literal
of thousands of digits is refused with a message naming the limit, instead of becoming a
float nobody asked for or a ``ValueError`` from Python's integer conversion limit.

The reader raises ``JsonRejected``; each caller turns it into its protocol's own error
(``MANIFEST_INVALID``, a problem JSON, an import problem).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from cargohold.core.errors import CargoholdError

# JSON strings (with escapes), so that digits inside them are not taken for numbers.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NUMBER = re.compile(rb"-?[0-9][0-9.eE+-]*")


@dataclass(frozen=True, slots=True)
class JsonLimits:
    """How much of a document is accepted: bytes, nesting levels, characters per number."""

    max_bytes: int
    max_depth: int
    max_number: int = 100

    def describe(self) -> str:
        return (
            f"at most {self.max_bytes} bytes, {self.max_depth} levels of nesting and "
            f"{self.max_number} characters per number"
        )


MANIFEST_LIMITS = JsonLimits(max_bytes=4 * 1024 * 1024, max_depth=64)
REQUEST_LIMITS = JsonLimits(max_bytes=1024 * 1024, max_depth=64)
DOCUMENT_LIMITS = JsonLimits(max_bytes=1024 * 1024, max_depth=128)  # OSV records, build info


class JsonRejected(CargoholdError):
    """A document that is not JSON or is over a limit; ``too_large`` for the size limit."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


def read_json(data: bytes | str, limits: JsonLimits) -> Any:
    """The value of ``data``, or ``JsonRejected`` saying which rule it breaks."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > limits.max_bytes:
        raise JsonRejected(
            f"document is {len(raw)} bytes; the limit is {limits.max_bytes}", too_large=True
        )
    _check_numbers(raw, limits.max_number)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        if "depth limit" in str(exc):
            raise JsonRejected(_too_deep(limits.max_depth)) from None
        raise JsonRejected(f"not valid JSON: {exc}") from None
    if depth_exceeds(value, limits.max_depth):
        raise JsonRejected(_too_deep(limits.max_depth))
    return value


def depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests arrays and objects more than ``limit`` levels deep."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _check_numbers(raw: bytes, limit: int) -> None:
    # A JSON number has at most three runs of digits (integer, fraction, exponent), so a
    # literal over the limit has a run of a third of it. Such runs are rare: only then are
    # strings set aside to measure the number literals alone.
    if re.search(rb"[0-9]{%d}" % max(1, limit // 3), raw) is None:
        return
    outside = _STRING.sub(b'""', raw)
    for number in _NUMBER.finditer(outside):
        if len(number.group()) > limit:
            raise JsonRejected(
                f"a number literal has {len(number.group())} characters; the limit is {limit}"
            )


def _too_deep(limit: int) -> str:
    return f"document nests arrays or objects deeper than {limit} levels"


__all__ = [
    "DOCUMENT_LIMITS",
    "MANIFEST_LIMITS",
    "REQUEST_LIMITS",
    "JsonLimits",
    "JsonRejected",
    "depth_exceeds",
    "read_json",
]

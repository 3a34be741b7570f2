"""Paths with matrix parameters (``/a/b.deb;key=value1,value2``, Artifactory's way of
saying where and how a deployed file goes), parsed from the raw path: an encoded ``/``
(``%2F``) or ``;`` (``%3B``) stays part of a name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

from cargohold.core.errors import BadRequest


def raw_path(scope: Mapping[str, Any]) -> bytes:
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        return raw.split(b"?", 1)[0]
    path = scope.get("path")
    return str(path).encode() if isinstance(path, str) else b""


def segment_name(raw: bytes, properties: dict[str, list[str]]) -> str:
    """One path segment's name; its matrix parameters go into ``properties``."""
    name, *parameters = raw.split(b";")
    for parameter in parameters:
        if not parameter:
            continue
        key, _, values = parameter.partition(b"=")
        many = properties.setdefault(_decode(key), [])
        many.extend(_decode(value) for value in values.split(b","))
    decoded = _decode(name)
    if "/" in decoded:
        raise BadRequest(f"an encoded '/' (%2F) in {decoded[:200]!r}: separate folders with '/'")
    return decoded


def _decode(raw: bytes) -> str:
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        shown = unquote(raw.decode("latin-1"))[:200]
        raise BadRequest(f"{shown!r} is not UTF-8 once percent-decoded") from None


__all__ = ["raw_path", "segment_name"]

"""What every wire type shares: camelCase names on the wire, RFC 3339 times, request bodies
that refuse unknown fields, and the page every list answers with."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, Generic, TypeVar, cast

import msgspec
from msgspec import UNSET, Meta, UnsetType

T = TypeVar("T")

Timestamp = Annotated[
    datetime,
    Meta(
        tz=True,
        extra_json_schema={
            "description": "RFC 3339, UTC.",
            "format": "date-time",
            "examples": ["2026-11-26T10:00:00Z"],
        },
    ),
]


def described(description: str, **schema: Any) -> Meta:
    """A field's description (and any other JSON Schema keywords) in the OpenAPI document."""
    return Meta(description=description, extra_json_schema=schema or None)


class Wire(msgspec.Struct, frozen=True, rename="camel"):
    # JSON Schema keywords of the whole object that a Struct cannot say (if/then, oneOf, …),
    # added to its component in the OpenAPI document.
    schema_extra: ClassVar[Mapping[str, Any]] = {}

    def to_json(self) -> dict[str, Any]:
        """The object as the API writes it, as plain JSON values (fields left UNSET are
        absent)."""
        return cast(dict[str, Any], msgspec.json.decode(msgspec.json.encode(self)))


class Body(Wire, frozen=True, forbid_unknown_fields=True):
    """A request body: the server refuses fields it does not know (400)."""


class Page(Wire, Generic[T], frozen=True):
    """A page of a list; `next` is the opaque cursor of the next page (null on the last)."""

    items: list[T]
    next: str | None


__all__ = [
    "UNSET",
    "Body",
    "Meta",
    "Page",
    "Timestamp",
    "UnsetType",
    "Wire",
    "described",
]

"""The components of the OpenAPI document: every schema generated from the wire types the
operations name (``msgspec.json.schema_components``), plus the shared responses, parameters,
headers and security schemes."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import msgspec

from cargohold.api.rest.openapi.operations import PROBLEMS, STRING, Json, content, ref, schema
from cargohold.api.rest.pages import MAX_LIMIT, SHORT_CURSOR
from cargohold.wire import (
    events,
    gc,
    generic,
    identity,
    insight,
    jobs,
    lifecycle,
    packages,
    policy,
    repositories,
    retention,
    search,
    signing,
    storage,
    system,
)
from cargohold.wire.base import Wire

MODULES: tuple[ModuleType, ...] = (
    system,
    identity,
    repositories,
    jobs,
    gc,
    events,
    generic,
    search,
    lifecycle,
    packages,
    signing,
    insight,
    policy,
    retention,
    storage,
)
PREFIX = "#/components/schemas/"
LINK = 'The next page: `</api/v1/users?limit=100&after=CURSOR>; rel="next"`. Not on the last.'


def wire_types() -> dict[str, type]:
    """Every wire type (structs and enums) by the name its component has."""
    return {
        name: value
        for module in MODULES
        for name, value in vars(module).items()
        if isinstance(value, type)
        and value.__module__ == module.__name__
        and issubclass(value, Wire | enum.Enum)
    }


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        target = node.get("$ref")
        if isinstance(target, str) and target.startswith(PREFIX):
            yield target.removeprefix(PREFIX)
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def schemas(*named_in: Json) -> Json:
    """The schemas of the wire types that ``named_in`` refers to, and of those they use."""
    types = wire_types()
    roots: set[str] = set()
    wanted = {name for node in named_in for name in _refs(node) if name in types}
    while wanted - roots:  # and those their own extra keywords name
        roots |= wanted
        _, generated = msgspec.json.schema_components(
            [types[name] for name in sorted(roots)], ref_template=PREFIX + "{name}"
        )
        wanted |= {name for name in _refs(generated) if name in types}
    found: Json = msgspec.json.decode(msgspec.json.encode(generated))  # tuples as lists
    for name, component in found.items():
        kind = types[name]
        if issubclass(kind, enum.Enum):  # in the order they are written, not sorted
            component["enum"] = [member.value for member in kind]
        elif issubclass(kind, Wire):
            component.update(kind.schema_extra)
    found["Next"] = {
        "oneOf": [STRING, {"type": "null"}],
        "description": "The cursor of the next page, for `after`; null on the last.",
    }
    return dict(sorted(found.items()))


def responses() -> Json:
    problems: Json = {
        name: {
            "description": description,
            "content": content(ref("Problem"), "application/problem+json"),
        }
        | ({"headers": headers} if headers else {})
        for name, description, headers in PROBLEMS.values()
    }
    return problems | {
        "UriTooLong": {
            "description": "The request target (path and query) is over 64 KiB.",
            "content": content(STRING, "text/plain"),
        }
    }


def components(paths: Json, webhooks: Json) -> Json:
    limit = schema("integer", minimum=1, maximum=MAX_LIMIT, default=100)
    shared = responses()
    return {
        "schemas": schemas(paths, webhooks, shared),
        "responses": shared,
        "parameters": {
            "limit": {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Page size.",
                "schema": limit,
            },
            "after": {
                "name": "after",
                "in": "query",
                "required": False,
                "description": "The `next` cursor of the previous page (opaque).",
                "schema": schema("string", maxLength=SHORT_CURSOR),
            },
        },
        "headers": {"Link": {"description": LINK, "schema": STRING}},
        "securitySchemes": {
            "basic": {
                "type": "http",
                "scheme": "basic",
                "description": "User and password, or user and API token.",
            },
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token, `chk_<16 hex id>_<secret>`.",
            },
        },
    }


__all__ = ["components", "schemas", "wire_types"]

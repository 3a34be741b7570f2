"""How the operation table is written: one call per operation, naming the wire types of its
request and response bodies; every schema comes from those types (see ``components``)."""

from __future__ import annotations

from typing import Any

from cargohold.wire.base import Wire

Json = dict[str, Any]
Schema = type[Wire] | Json

STRING: Json = {"type": "string"}
TIMESTAMP: Json = {
    "type": "string",
    "description": "RFC 3339, UTC.",
    "format": "date-time",
    "examples": ["2026-11-26T10:00:00Z"],
}
ANONYMOUS = "Anyone, without credentials."
SIGNED_IN = "Any signed-in user."
ADMIN = "Administrators only."
OWNER = "The token's owner, or administrators; to anyone else the token is unknown (404)."
AUTHENTICATED: list[Json] = [{"basic": []}, {"bearer": []}]

# status: (name in components/responses, description, headers)
PROBLEMS: dict[str, tuple[str, str, Json]] = {
    "400": ("BadRequest", "The body or a query parameter is invalid.", {}),
    "401": (
        "Unauthorized",
        "No credentials, or wrong ones.",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "example": 'Basic realm="cargohold"'}},
    ),
    "403": ("Forbidden", "Signed in, but not allowed to do this.", {}),
    "404": ("NotFound", "No such object.", {}),
    "409": ("Conflict", "It exists already, or the change would remove the last admin.", {}),
    "413": ("PayloadTooLarge", "The request body is over the size this operation accepts.", {}),
    "429": (
        "TooManyRequests",
        "Too many failed sign-ins; try again later.",
        {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    ),
}


def schema(kind: str, description: str = "", **keywords: Any) -> Json:
    return {"type": kind} | ({"description": description} if description else {}) | keywords


def array(items: Json, **keywords: Any) -> Json:
    return schema("array", items=items, **keywords)


def ref(target: type[Wire] | str, section: str = "schemas") -> Json:
    name = target if isinstance(target, str) else target.__name__
    return {"$ref": f"#/components/{section}/{name}"}


def content(body: Schema, media_type: str = "application/json") -> Json:
    return {media_type: {"schema": body if isinstance(body, dict) else ref(body)}}


def response(description: str, body: Schema | None = None, headers: Json | None = None) -> Json:
    answer: Json = {"description": description}
    if body is not None:
        answer["content"] = content(body)
    return answer | ({"headers": headers} if headers else {})


def parameter(name: str, description: str, kind: Json = STRING, where: str = "query") -> Json:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": kind,
    }


def operation(
    operation_id: str,
    summary: str,
    who: str,
    responses: dict[str, Json],
    errors: str = "401 403 404 429",
    *,
    body: type[Wire] | None = None,
    parameters: list[Json] | None = None,
    anonymous: bool = False,
) -> Json:
    """One operation; ``errors`` are its problem statuses, e.g. ``"400 401 403"``."""
    found: Json = {"operationId": operation_id, "summary": summary, "description": who}
    if not anonymous:
        found["security"] = AUTHENTICATED
    if parameters:
        found["parameters"] = parameters
    if body is not None:
        found["requestBody"] = {"required": True, "content": content(body)}
    problems = {status: ref(PROBLEMS[status][0], "responses") for status in errors.split()}
    problems["414"] = ref("UriTooLong", "responses")  # any operation, from the HTTP server
    return found | {"responses": responses | problems}


def page(item: type[Wire], description: str = "") -> Json:
    """A 200 answer with a page of ``item``s and its ``Link`` header."""
    body = {
        "type": "object",
        "required": ["items", "next"],
        "properties": {"items": array(ref(item)), "next": ref("Next")},
    }
    text = description or f"A page of {item.__name__} objects."
    return response(text, body, {"Link": ref("Link", "headers")})


def cursor(max_length: int) -> Json:
    """The ``after`` parameter of a list whose cursors may be longer than most."""
    return parameter(
        "after",
        "The `next` cursor of the previous page (opaque).",
        schema("string", maxLength=max_length),
    )


def listing(
    operation_id: str,
    summary: str,
    who: str,
    item: type[Wire],
    *filters: Json,
    errors: str = "400 401 403 429",
    anonymous: bool = False,
    after: Json | None = None,
) -> Json:
    paging = [ref("limit", "parameters"), after or ref("after", "parameters")]
    return operation(
        operation_id,
        summary,
        who,
        {"200": page(item)},
        errors,
        parameters=[*filters, *paging],
        anonymous=anonymous,
    )


def get(
    operation_id: str,
    summary: str,
    who: str,
    item: type[Wire],
    errors: str = "401 403 404 429",
    *,
    anonymous: bool = False,
) -> Json:
    found = {"200": response("Found.", item)}
    return operation(operation_id, summary, who, found, errors, anonymous=anonymous)


def create(
    operation_id: str,
    summary: str,
    who: str,
    item: type[Wire],
    body: type[Wire],
    errors: str = "400 401 403 409 429",
    headers: Json | None = None,
) -> Json:
    location = {"Location": {"description": "The URL of the new object.", "schema": STRING}}
    created = response("Created.", item, location | (headers or {}))
    return operation(operation_id, summary, who, {"201": created}, errors, body=body)


def update(
    operation_id: str,
    summary: str,
    who: str,
    item: type[Wire],
    body: type[Wire],
    errors: str = "400 401 403 404 429",
) -> Json:
    changed = response("Changed.", item)
    return operation(operation_id, summary, who, {"200": changed}, errors, body=body)


def delete(operation_id: str, summary: str, who: str, errors: str = "401 403 404 429") -> Json:
    return operation(operation_id, summary, who, {"204": response("Deleted.")}, errors)


__all__ = [
    "ADMIN",
    "ANONYMOUS",
    "AUTHENTICATED",
    "OWNER",
    "PROBLEMS",
    "SIGNED_IN",
    "STRING",
    "TIMESTAMP",
    "Json",
    "array",
    "content",
    "create",
    "cursor",
    "delete",
    "get",
    "listing",
    "operation",
    "page",
    "parameter",
    "ref",
    "response",
    "schema",
    "update",
]

"""JSON request bodies, read field by field with a clear 400 for anything malformed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from starlette.requests import Request

from cargohold.api.reading import read_limited
from cargohold.core.errors import BadRequest, PayloadTooLarge
from cargohold.core.jsondoc import REQUEST_LIMITS, JsonLimits, JsonRejected, read_json
from cargohold.core.numbers import MAX_INT
from cargohold.wire.base import Wire


class Body:
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @classmethod
    async def read(
        cls,
        request: Request,
        fields: Iterable[str] | type[Wire],
        limits: JsonLimits = REQUEST_LIMITS,
    ) -> Body:
        """The body, refused if it has a field ``fields`` (names, or the wire type of the
        body, whose fields the OpenAPI document lists) does not know."""
        raw = await read_limited(
            request, limits.max_bytes, lambda message: PayloadTooLarge(f"request: {message}")
        )
        try:
            data = read_json(raw, limits) if raw.strip() else {}
        except JsonRejected as exc:
            error = PayloadTooLarge if exc.too_large else BadRequest
            raise error(f"request body: {exc.message}") from None
        if not isinstance(data, dict):
            raise BadRequest("request body must be a JSON object")
        if isinstance(fields, type):
            allowed = {field.encode_name for field in msgspec.structs.fields(fields)}
        else:
            allowed = set(fields)
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise BadRequest(
                f"unknown field {unknown[0][:60]!r}; allowed: {', '.join(sorted(allowed))}"
            )
        return cls(data)

    def has(self, field: str) -> bool:
        return field in self._data and self._data[field] is not None

    def string(self, field: str, default: str | None = None, *, required: bool = False) -> str:
        value = self._data.get(field)
        if value is None:
            if required or default is None:
                raise BadRequest(f"{field!r} (string) is required")
            return default
        if not isinstance(value, str):
            raise BadRequest(f"{field!r} must be a string")
        return value

    def optional_string(self, field: str) -> str | None:
        return self.string(field) if self.has(field) else None

    def boolean(self, field: str, default: bool) -> bool:
        value = self._data.get(field, default)
        if not isinstance(value, bool):
            raise BadRequest(f"{field!r} must be true or false")
        return value

    def optional_boolean(self, field: str) -> bool | None:
        return self.boolean(field, False) if self.has(field) else None

    def present(self, field: str) -> bool:
        """Whether the body has ``field``, even as null."""
        return field in self._data

    def byte_limit(self, field: str) -> int | None:
        """A number of bytes, 0 or more; None when null or absent (no limit)."""
        value = self._data.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
            raise BadRequest(
                f"{field!r} must be a whole number of bytes, 0 or more (e.g. 10737418240 for "
                "10 GiB), or null for no limit"
            )
        return value

    def optional_number(self, field: str) -> float | None:
        value = self._data.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadRequest(f"{field!r} must be a number of seconds")
        return float(value)

    def strings(self, field: str, default: list[str] | None = None) -> list[str]:
        value = self._data.get(field)
        if value is None:
            if default is None:
                raise BadRequest(f"{field!r} (a list of strings) is required")
            return default
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise BadRequest(f"{field!r} must be a list of strings")
        if len(value) > 1000:
            raise BadRequest(f"{field!r} may hold at most 1000 entries")
        return list(value)

    def optional_strings(self, field: str) -> list[str] | None:
        return self.strings(field) if self.has(field) else None

    def mapping(self, field: str) -> dict[str, Any]:
        value = self._data.get(field)
        if not isinstance(value, dict):
            raise BadRequest(f"{field!r} (an object) is required")
        return dict(value)

    def objects(self, field: str) -> list[dict[str, Any]] | None:
        value = self._data.get(field)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise BadRequest(f"{field!r} must be a list of objects")
        return list(value)


__all__ = ["Body"]

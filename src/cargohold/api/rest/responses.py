"""Answers whose body is a wire type (or plain JSON values), encoded with msgspec."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

ENCODER = msgspec.json.Encoder()


class WireResponse(Response):
    """``application/json``: the wire value encoded as the OpenAPI document describes it."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return ENCODER.encode(content)


__all__ = ["WireResponse"]

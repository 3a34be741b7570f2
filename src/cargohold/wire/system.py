"""What is not one capability's: health, the problem document of every error, the rotation
of the registry token signing key."""

from __future__ import annotations

from typing import Annotated, Literal

from cargohold.wire.base import Meta, Wire, described


class Health(Wire, frozen=True):
    status: Literal["ok"]


class KeyRotation(Wire, frozen=True):
    kid: Annotated[str, described("The id of the new signing key.")]


class Problem(Wire, frozen=True):
    """RFC 9457 problem details; a blocked promotion adds policy, watch, rule, advisory,
    severity and component."""

    type: Annotated[str, Meta(extra_json_schema={"format": "uri-reference"})]
    title: str
    status: int
    detail: str
    instance: str
    code: Annotated[str, Meta(examples=["NOT_FOUND", "DENIED"])]


__all__ = ["Health", "KeyRotation", "Problem"]

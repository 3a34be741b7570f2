"""The events the registry API emits for webhooks: a manifest pushed, a manifest deleted."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.core.names import ImageName
from cargohold.registry.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.registry.scans import IMAGE

# The event of a manifest request, by method and the status that means it succeeded.
EMITTED = {("PUT", 201): "push", ("DELETE", 202): "delete"}


async def emit_manifest_event(
    registry: Registry,
    request: Request,
    principal: Principal | None,
    params: dict[str, str],
    response: Response,
) -> None:
    """After a manifest request: a ``push`` or ``delete`` event if it succeeded."""
    kind = EMITTED.get((request.method, response.status_code))
    if kind is None:
        return
    name = ImageName.parse(params["name"])
    reference = params["reference"]
    by_digest = ":" in reference
    if request.method == "PUT":
        digest = response.headers.get("docker-content-digest")
    else:
        digest = reference if by_digest else None
    data: dict[str, object] = {
        "repository": name.repository,
        "image": name.image,
        "name": str(name),
        "digest": digest,
        "tag": None if by_digest else reference,
    }
    if request.method == "PUT":
        data["mediaType"] = request.headers.get("content-type", "").split(";")[0].strip() or None
    actor = principal.name if principal is not None and principal.name else "anonymous"
    await registry.events.emit(kind, name.repository, name.image, data, actor=actor)
    if kind == "push":
        await registry.scans.request_quietly(digest, IMAGE, str(name))


__all__ = ["EMITTED", "emit_manifest_event"]

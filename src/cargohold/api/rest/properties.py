"""``/properties``: key → values on an image digest, a tag or a generic file.

The artifact is named by query parameters: ``repository`` and either ``image`` with
``digest`` or ``tag``, or ``path`` (a generic file).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.rest.bodies import Body
from cargohold.core.errors import BadRequest
from cargohold.core.names import ImageName, validate_tag
from cargohold.core.properties import file_subject, image_subject, tag_subject
from cargohold.records.repositories import RepositoryRecord
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.registry import Registry


class PropertyEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def _artifact(
        self, request: Request, caller: Principal | None, action: Action
    ) -> tuple[RepositoryRecord, str]:
        query = request.query_params
        key = query.get("repository")
        if not key:
            raise BadRequest("'repository' is required")
        record = await self._registry.repositories.get(key)
        self._registry.access.check(caller, record, action)
        image, digest, tag, path = (query.get(k) for k in ("image", "digest", "tag", "path"))
        if path is not None and image is None:
            if not path.strip("/") or ".." in path.split("/"):
                raise BadRequest(f"path {path[:200]!r} is not a file path")
            subject = file_subject(path)
        elif image is not None and (digest is None) != (tag is None):
            ImageName.parse(f"{key}/{image}")
            if digest is not None:
                subject = image_subject(image, digest)
            else:
                subject = tag_subject(image, validate_tag(tag or ""))
        else:
            raise BadRequest("name the artifact: 'image' with 'digest' or 'tag', or 'path'")
        await self._registry.properties.require(record.key, subject)
        return record, subject

    async def get(self, request: Request, caller: Principal | None) -> Response:
        record, subject = await self._artifact(request, caller, Action.READ)
        values = await self._registry.properties.get(record.key, subject)
        return JSONResponse({"repository": record.key, "subject": subject, "properties": values})

    async def put(self, request: Request, caller: Principal | None) -> Response:
        record, subject = await self._artifact(request, caller, Action.ANNOTATE)
        body = await Body.read(request, ("properties", "replace"))
        values = body.mapping("properties")
        stored = await self._registry.properties.set(
            record.key, subject, values, replace=body.boolean("replace", False)
        )
        await self._changed(record.key, subject, caller, {"set": stored})
        return JSONResponse({"repository": record.key, "subject": subject, "properties": stored})

    async def delete(self, request: Request, caller: Principal | None) -> Response:
        record, subject = await self._artifact(request, caller, Action.ANNOTATE)
        raw = request.query_params.get("keys")
        keys = [k for k in raw.split(",") if k] if raw else None
        await self._registry.properties.delete(record.key, subject, keys)
        await self._changed(record.key, subject, caller, {"deleted": keys or "all"})
        return Response(b"", 204)

    async def _changed(
        self, repository: str, subject: str, caller: Principal | None, change: dict[str, object]
    ) -> None:
        """A "property" event about the artifact: the image name or the file path."""
        kind, _, rest = subject.partition(":")
        artifact = rest.split("@")[0] if kind == "image" else rest
        if kind == "tag":
            artifact = rest.rpartition(":")[0]
        actor = caller.name if caller is not None and caller.name else "anonymous"
        data = {"repository": repository, "subject": subject, **change}
        await self._registry.events.emit("property", repository, artifact, data, actor=actor)


__all__ = ["PropertyEndpoints"]

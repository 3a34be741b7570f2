"""``/generic/{key}/promote`` (files and folders between generic repositories, shaped like
the Docker promote) and ``/generic/{key}/files`` (a paginated list of the files)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import page_params, page_response
from cargohold.api.rest.promotions import promotion_json
from cargohold.api.rest.views import timestamp
from cargohold.core.digest import Digest
from cargohold.core.errors import BadRequest
from cargohold.core.paths import MAX_PATH_LENGTH
from cargohold.records.generic import GenericFileRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.lifecycle.generic_promotion import GenericPromotion
from cargohold.registry.registry import Registry

FIELDS = ("targetRepo", "path", "targetPath", "copy", "dryRun", "properties", "comment")


def generic_file_json(record: GenericFileRecord) -> dict[str, Any]:
    return {
        "path": record.path,
        "size": record.size,
        "sha256": Digest.parse(record.digest).hex,
        "sha1": record.sha1,
        "md5": record.md5,
        "created": timestamp(record.created_at),
        "lastModified": timestamp(record.updated_at),
        "createdBy": record.created_by,
    }


class GenericEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def promote(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, FIELDS)
        properties = body.mapping("properties") if body.has("properties") else None
        promoted = await self._registry.generic_promotions.promote(
            Actor(caller, client_address(request)),
            GenericPromotion(
                source_repository=request.path_params["key"],
                target_repository=body.string("targetRepo", required=True),
                path=body.string("path", required=True),
                target_path=body.optional_string("targetPath"),
                copy=body.boolean("copy", False),
                dry_run=body.boolean("dryRun", False),
                properties=properties,
                comment=body.string("comment", "")[:2000],
            ),
        )
        first = promoted.records[0]
        verb = "copied" if first.copy else "moved"
        if first.dry_run:
            verb = f"would be {verb} (dry run)"
        return JSONResponse(
            {
                "sourceRepo": first.source_repository,
                "targetRepo": first.target_repository,
                "copy": first.copy,
                "dryRun": first.dry_run,
                "files": [
                    {
                        "path": done.source.path,
                        "targetPath": done.target.path,
                        "sha256": Digest.parse(done.source.digest).hex,
                        "size": done.source.size,
                    }
                    for done in promoted.transfers
                ],
                "promotions": [promotion_json(r) for r in promoted.records],
                "messages": [
                    {"level": "INFO", "message": f"{r.source} {verb} to {r.target}"}
                    for r in promoted.records
                ],
            }
        )

    async def files(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_params(request, max_cursor=MAX_PATH_LENGTH)
        prefix = request.query_params.get("prefix", "").lstrip("/")
        if len(prefix) > MAX_PATH_LENGTH:
            raise BadRequest(f"prefix longer than {MAX_PATH_LENGTH} characters")
        rows = await self._registry.generic.page(
            caller, request.path_params["key"], prefix, after, limit + 1
        )
        return page_response(request, rows, limit, generic_file_json, lambda r: r.path)


__all__ = ["GenericEndpoints", "generic_file_json"]

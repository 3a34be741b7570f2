"""``/generic/{key}/promote`` (files and folders between generic repositories, shaped like
the Docker promote) and ``/generic/{key}/files`` (a paginated list of the files)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.pages import LONG_CURSOR, Key, after_key, page_request, paged
from cargohold.api.rest.responses import WireResponse
from cargohold.core.digest import Digest
from cargohold.core.errors import BadRequest
from cargohold.core.paths import MAX_PATH_LENGTH
from cargohold.core.times import moment
from cargohold.records.generic import GenericFileRecord
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.lifecycle.engine import promotion_wire
from cargohold.registry.lifecycle.generic_promotion import GenericPromotion
from cargohold.registry.registry import Registry
from cargohold.wire import lifecycle as wire
from cargohold.wire.generic import GenericFile


def generic_file_wire(record: GenericFileRecord) -> GenericFile:
    return GenericFile(
        path=record.path,
        size=record.size,
        sha256=Digest.parse(record.digest).hex,
        sha1=record.sha1,
        md5=record.md5,
        created=moment(record.created_at),
        last_modified=moment(record.updated_at),
        created_by=record.created_by,
    )


class GenericEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def promote(self, request: Request, caller: Principal | None) -> Response:
        body = await Body.read(request, wire.GenericPromotion)
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
        return WireResponse(
            wire.GenericPromotionResult(
                source_repo=first.source_repository,
                target_repo=first.target_repository,
                copy=first.copy,
                dry_run=first.dry_run,
                files=[
                    wire.GenericTransfer(
                        path=done.source.path,
                        target_path=done.target.path,
                        sha256=Digest.parse(done.source.digest).hex,
                        size=done.source.size,
                    )
                    for done in promoted.transfers
                ],
                promotions=[promotion_wire(r) for r in promoted.records],
                messages=[
                    wire.Message("INFO", f"{r.source} {verb} to {r.target}")
                    for r in promoted.records
                ],
            )
        )

    async def files(self, request: Request, caller: Principal | None) -> Response:
        limit, after = page_request(request, Key, LONG_CURSOR)
        prefix = request.query_params.get("prefix", "").lstrip("/")
        if len(prefix) > MAX_PATH_LENGTH:
            raise BadRequest(f"prefix longer than {MAX_PATH_LENGTH} characters")
        rows = await self._registry.generic.page(
            caller, request.path_params["key"], prefix, after_key(after), limit + 1
        )
        return paged(request, rows, limit, generic_file_wire, lambda r: Key(r.path))


__all__ = ["GenericEndpoints", "generic_file_wire"]

"""``/vulndb``: import OSV advisories (a zip export or JSON) and read them back."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from cargohold.api.reading import read_limited
from cargohold.core.errors import PayloadTooLarge
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry

MAX_IMPORT = 512 * 1024 * 1024


class VulnDbEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._access = registry.access
        self._vulndb = registry.vulndb

    async def stats(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        return JSONResponse({"count": await self._vulndb.count()})

    async def import_(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        data = await read_limited(
            request, MAX_IMPORT, lambda message: PayloadTooLarge(f"an import: {message}")
        )
        report = await self._vulndb.import_bytes(data)
        return JSONResponse(
            {
                "added": report.added,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "problems": list(report.problems),
            }
        )

    async def get(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        found = await self._vulndb.get(request.path_params["id"])
        return JSONResponse(found.record | {"severity": found.severity})


__all__ = ["MAX_IMPORT", "VulnDbEndpoints"]

"""``/vulndb``: import OSV advisories (a zip export or JSON) and read them back."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.reading import read_limited
from cargohold.api.rest.responses import WireResponse
from cargohold.core.errors import PayloadTooLarge
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire.insight import VulnDbImport, VulnDbStats

MAX_IMPORT = 512 * 1024 * 1024


class VulnDbEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._access = registry.access
        self._vulndb = registry.vulndb

    async def stats(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        return WireResponse(VulnDbStats(await self._vulndb.count()))

    async def import_(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_admin(caller)
        data = await read_limited(
            request, MAX_IMPORT, lambda message: PayloadTooLarge(f"an import: {message}")
        )
        report = await self._vulndb.import_bytes(data)
        return WireResponse(
            VulnDbImport(report.added, report.updated, report.unchanged, tuple(report.problems))
        )

    async def get(self, request: Request, caller: Principal | None) -> Response:
        self._access.require_user(caller)
        found = await self._vulndb.get(request.path_params["id"])
        # The OSV record passes through as imported (wire.insight.Advisory names only the
        # members every record has), with its severity.
        return WireResponse(found.record | {"severity": found.severity})


__all__ = ["MAX_IMPORT", "VulnDbEndpoints"]

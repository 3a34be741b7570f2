"""``/vulndb``: import OSV advisories (a zip export or JSON) and read them back."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.reading import read_limited
from cargohold.api.rest.responses import WireResponse
from cargohold.core.errors import PayloadTooLarge
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire.insight import VulnDbImport, VulnDbStats

MAX_IMPORT = 512 * 1024 * 1024


class VulnDbEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._vulndb = registry.vulndb

    async def stats(self, request: Request, caller: Principal | None) -> Response:
        return WireResponse(VulnDbStats(await self._vulndb.count(caller)))

    async def import_(self, request: Request, caller: Principal | None) -> Response:
        async def body() -> bytes:  # read only once the use case has let the caller in
            return await read_limited(
                request, MAX_IMPORT, lambda message: PayloadTooLarge(f"an import: {message}")
            )

        report = await self._vulndb.import_(Actor(caller, client_address(request)), body)
        return WireResponse(
            VulnDbImport(report.added, report.updated, report.unchanged, tuple(report.problems))
        )

    async def get(self, request: Request, caller: Principal | None) -> Response:
        found = await self._vulndb.get(caller, request.path_params["id"])
        # The OSV record passes through as imported (wire.insight.Advisory names only the
        # members every record has), with its severity.
        return WireResponse(found.record | {"severity": found.severity})


__all__ = ["MAX_IMPORT", "VulnDbEndpoints"]

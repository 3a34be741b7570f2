"""The upstream client of a registry built without one (tools that open the stores without
serving, tests of other capabilities): every request to an upstream fails, saying why."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager

from cargohold.core.errors import UpstreamUnavailable
from cargohold.records.repositories import Remote
from cargohold.registry.remote.upstream import Reply


class NoUpstreamClient:
    def open(
        self,
        remote: Remote,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        scope: str | None = None,
    ) -> AbstractAsyncContextManager[Reply]:
        raise UpstreamUnavailable(
            f"this cargohold process asks no upstream ({remote.upstream}): only the server "
            "fetches for remote repositories"
        )

    async def aclose(self) -> None:
        return None


__all__ = ["NoUpstreamClient"]

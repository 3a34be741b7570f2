"""What a handler receives: the request, its path parameters and who is calling."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from cargohold.api.credentials import client_address
from cargohold.core.errors import PaginationInvalid
from cargohold.core.names import ImageName
from cargohold.core.numbers import bounded_int
from cargohold.registry.identity.access import Principal
from cargohold.registry.identity.audit import Actor

MAX_N = 999_999_999  # an n past this is no page size but a mistake
MAX_PAGE = 10_000


@dataclass(frozen=True, slots=True)
class Call:
    request: Request
    params: dict[str, str]
    principal: Principal | None
    route: str  # the key of the operation in ``operations.NEEDS``, with the method

    @property
    def name(self) -> ImageName:
        return ImageName.parse(self.params["name"])

    @property
    def shown_name(self) -> ImageName:
        """The name as the client asked for it, for the URLs it is sent back: a push to a
        virtual repository is carried out in its deploy repository (``name``)."""
        return ImageName.parse(self.params.get("asked", self.params["name"]))

    @property
    def actor(self) -> Actor:
        return Actor(self.principal, client_address(self.request))

    @property
    def method(self) -> str:
        return self.request.method

    def page(self) -> tuple[int | None, str | None]:
        """The ``n`` and ``last`` query parameters of a paginated listing."""
        raw = self.request.query_params.get("n")
        limit = None
        if raw is not None:
            value = bounded_int(raw, MAX_N)
            if value is None:
                raise PaginationInvalid(f"n must be a non-negative integer, not {raw[:20]!r}")
            limit = min(value, MAX_PAGE)
        return limit, self.request.query_params.get("last")


__all__ = ["MAX_PAGE", "Call"]

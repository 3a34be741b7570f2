"""``/repositories/{key}/signing-keys``: the keys a Debian repository signs its indexes with,
and their rotation."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import client_address
from cargohold.api.rest.bodies import Body
from cargohold.api.rest.responses import WireResponse
from cargohold.api.rest.views import optional_moment
from cargohold.core.errors import BadRequest
from cargohold.core.times import moment
from cargohold.records.signing import SigningKey
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.registry import Registry
from cargohold.wire.signing import SigningKeyInfo, SigningKeyRotation, SigningKeys

MAX_GRACE_DAYS = 3650


class SigningKeyEndpoints:
    def __init__(self, registry: Registry) -> None:
        self._deb = registry.deb.reading

    async def list(self, request: Request, caller: Principal | None) -> Response:
        key = request.path_params["key"]
        return _keys(key, await self._deb.keys(caller, key))

    async def rotate(self, request: Request, caller: Principal | None) -> Response:
        key = request.path_params["key"]
        body = await Body.read(request, SigningKeyRotation)
        days = body.optional_number("graceDays")
        grace = 30.0 if days is None else days
        if not 0 <= grace <= MAX_GRACE_DAYS:
            raise BadRequest(f"'graceDays' must be between 0 and {MAX_GRACE_DAYS}")
        actor = Actor(caller, client_address(request))
        return _keys(key, await self._deb.rotate_key(actor, key, grace * 86400))


def _keys(repository: str, keys: list[SigningKey]) -> Response:
    return WireResponse(
        SigningKeys(
            repository,
            [
                SigningKeyInfo(
                    k.fingerprint, moment(k.created_at), optional_moment(k.retire_at), k.public
                )
                for k in keys
            ],
        )
    )


__all__ = ["SigningKeyEndpoints"]

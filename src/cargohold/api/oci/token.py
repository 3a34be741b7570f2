"""``/v2/token``: the registry token service of the distribution token-auth spec.

``GET`` takes Basic credentials (or none, for anonymous access) and the ``scope`` parameters;
``POST`` takes the OAuth2 ``password`` and ``refresh_token`` grants docker and containerd use.
Either answers a short-lived bearer token that grants, of the actions asked for, only those
the caller holds. With ``offline_token=true`` (GET) or ``access_type=offline`` (POST) a
password login also gets a refresh token: an API token of the user, listed and revocable like
any other, which docker stores instead of the password.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from cargohold.api.credentials import basic_credentials, client_address, principal_of
from cargohold.core.errors import BadRequest, Unauthorized, Unsupported
from cargohold.core.times import rfc3339
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.oci.registry_tokens import Scope
from cargohold.registry.registry import Registry

MAX_SCOPES = 64


def parse_scopes(values: list[str]) -> list[Scope]:
    """``repository:dev/team/app:pull,push`` → Scope; malformed ones dropped."""
    scopes = []
    for value in values:
        for item in value.split():
            kind, _, rest = item.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind and name and actions:
                scopes.append(Scope(kind, name, tuple(a for a in actions.split(",") if a)))
    if len(scopes) > MAX_SCOPES:
        raise BadRequest(f"at most {MAX_SCOPES} scopes per token request")
    return scopes


class TokenEndpoint:
    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    async def __call__(self, request: Request) -> Response:
        if request.method == "GET":
            return await self._get(request)
        if request.method == "POST":
            return await self._post(request)
        raise Unsupported(f"{request.method} is not supported on /v2/token; use GET or POST")

    async def _get(self, request: Request) -> Response:
        query = request.query_params
        principal = await principal_of(request, self._registry.access)
        offline = query.get("offline_token", "").lower() == "true"
        refresh = None
        if offline and principal is not None:
            header = request.headers.get("authorization", "")
            credentials = basic_credentials(header.partition(" ")[2]) if header else None
            presented = credentials[1] if credentials else None
            refresh = await self._refresh_token(
                request, principal, presented, query.get("client_id")
            )
        return await self._answer(principal, query.getlist("scope"), refresh, oauth=False)

    async def _post(self, request: Request) -> Response:
        raw = await request.body()
        if len(raw) > 64 * 1024:
            raise BadRequest("token request body too large")
        try:
            form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise BadRequest(
                "token request body must be application/x-www-form-urlencoded"
            ) from exc
        grant = form.get("grant_type", "")
        client = client_address(request)
        access = self._registry.access
        refresh: str | None = None
        if grant == "password":
            username, password = form.get("username", ""), form.get("password", "")
            if not username:
                raise Unauthorized("the password grant needs a username")
            principal = await access.authenticate(username, password, client)
            if form.get("access_type") == "offline":
                refresh = await self._refresh_token(
                    request, principal, password, form.get("client_id")
                )
        elif grant == "refresh_token":
            refresh = form.get("refresh_token", "")
            principal = await access.authenticate_token(refresh, client)
        else:
            raise BadRequest(
                f"unsupported grant_type {grant[:40]!r}; use 'password' or 'refresh_token'"
            )
        return await self._answer(principal, [form.get("scope", "")], refresh, oauth=True)

    async def _refresh_token(
        self, request: Request, principal: Principal, presented: str | None, client_id: str | None
    ) -> str:
        """The presented secret if it was an API token already; else a new refresh token."""
        if principal.token_id is not None and presented is not None:
            return presented
        actor = Actor(principal, client_address(request))
        new = await self._registry.user_tokens.refresh_token(actor, client_id)
        return new.secret

    async def _answer(
        self,
        principal: Principal | None,
        scope_values: list[str],
        refresh: str | None,
        *,
        oauth: bool,
    ) -> Response:
        granted = await self._registry.registry_tokens.issue(principal, parse_scopes(scope_values))
        issued, access = granted.issued, granted.access
        body: dict[str, Any] = {
            "token": issued.token,
            "access_token": issued.token,
            "expires_in": issued.expires_in,
            "issued_at": rfc3339(issued.issued_at),
        }
        if oauth:
            body["scope"] = " ".join(
                f"repository:{a['name']}:{','.join(a['actions'])}" for a in access
            )
        if refresh is not None:
            body["refresh_token"] = refresh
        return Response(
            json.dumps(body).encode(),
            200,
            {"Content-Type": "application/json", "Cache-Control": "no-store"},
        )


__all__ = ["TokenEndpoint", "parse_scopes"]

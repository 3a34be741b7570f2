"""``npm login`` (the legacy CouchDB user document: name and password PUT to
``/-/user/org.couchdb.user:NAME``) answered with a new cargohold API token of that user, which
npm keeps as its ``_authToken`` and sends as ``Authorization: Bearer``; ``npm whoami``."""

from __future__ import annotations

from cargohold.core.errors import BadRequest, Unauthorized
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor
from cargohold.registry.identity.permissions import Principal
from cargohold.registry.identity.user_tokens import TokenOrder, UserTokens

MAX_FIELD = 256


class NpmLogins:
    def __init__(self, access: AccessControl, tokens: UserTokens) -> None:
        self._access = access
        self._tokens = tokens

    async def login(self, client: str, url_name: str, name: object, password: object) -> str:
        """The secret of a new API token for the user whose password this is."""
        if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
            raise BadRequest("npm login sends a name and a password")
        if name != url_name or len(name) > MAX_FIELD or len(password) > 4 * MAX_FIELD:
            raise BadRequest("the user name in the document is not the one in the URL")
        principal = await self._access.authenticate(name, password, client)

        async def order() -> TokenOrder:
            return TokenOrder(None, "cli", f"npm login from {client}", None, None)

        new = await self._tokens.create(Actor(principal, client), order)
        return new.secret

    def whoami(self, principal: Principal | None) -> str:
        if principal is None or principal.anonymous:
            raise Unauthorized("log in first: npm login, or a token in .npmrc (_authToken)")
        return principal.name


__all__ = ["NpmLogins"]

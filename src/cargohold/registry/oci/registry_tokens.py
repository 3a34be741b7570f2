"""The registry token service's decisions (distribution's token authentication): of the
actions a token request asks for, those the caller holds now, granted in a short-lived bearer
token; and who presents a bearer token, narrowed to what its ``access`` claims allow.

The machines of a fleet present one token several times each; who holds a token is
remembered by token for as long as the account behind it stands unchanged (the same
:class:`Principal` from :meth:`AccessControl.principal_for`, which forgets it on a change).

The protocol (``/v2/token``, its query and form syntax) is ``api/oci/token.py``'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from cargohold.core.bounded import remember
from cargohold.core.errors import InvalidToken, RegistryError
from cargohold.core.names import ImageName
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.bearer import BearerTokens, Issued
from cargohold.registry.identity.permissions import Action, Principal
from cargohold.registry.repositories import Repositories

_HOLDERS_LIMIT = 10_000
# Actions in the registry token protocol and the permissions they need.
DOCKER_ACTIONS: dict[str, frozenset[Action]] = {
    "pull": frozenset({Action.READ}),
    "push": frozenset({Action.WRITE}),
    "delete": frozenset({Action.DELETE}),
    "*": frozenset({Action.READ, Action.WRITE, Action.DELETE}),
}


@dataclass(frozen=True, slots=True)
class Scope:
    """One scope a token request names: ``repository:dev/team/app:pull,push``."""

    kind: str
    name: str
    actions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Granted:
    issued: Issued
    access: list[dict[str, Any]]  # the token's access claims: what was granted


def image_grants(access: tuple[dict[str, object], ...]) -> dict[str, frozenset[Action]]:
    """The ``access`` claims of a bearer token as image name → allowed actions."""
    grants: dict[str, frozenset[Action]] = {}
    for entry in access:
        name, actions = entry.get("name"), entry.get("actions")
        if entry.get("type") != "repository" or not isinstance(name, str):
            continue
        allowed: set[Action] = set(grants.get(name, frozenset()))
        for action in actions if isinstance(actions, list) else []:
            allowed |= DOCKER_ACTIONS.get(str(action), frozenset())
        grants[name] = frozenset(allowed)
    return grants


class RegistryTokens:
    def __init__(
        self, repositories: Repositories, access: AccessControl, bearer: BearerTokens
    ) -> None:
        self._repositories = repositories
        self._access = access
        self._bearer = bearer
        # token -> (the account as last loaded, None if anonymous; narrowed to the token)
        self._holders: dict[str, tuple[Principal | None, Principal]] = {}

    async def holder(self, token: str) -> Principal:
        """Who presents this bearer token (anonymous: an empty name), allowed the images and
        actions of its ``access`` claims and no more."""
        claims = await self._bearer.verify(token)
        account = None
        if claims.subject:
            account = await self._access.principal_for(claims.subject, claims.token_id)
            if account is None:
                raise InvalidToken(
                    "the account or API token this bearer token was issued to is gone"
                )
        known = self._holders.get(token)
        if known is not None and known[0] is account:
            return known[1]
        images = image_grants(claims.access)
        narrowed = (
            Principal(name="", images=images)
            if account is None
            else replace(account, images=images)
        )
        remember(self._holders, token, (account, narrowed), _HOLDERS_LIMIT)
        return narrowed

    async def issue(self, principal: Principal | None, scopes: Sequence[Scope]) -> Granted:
        """A bearer token for ``principal`` (None: anonymous) granting, of the actions
        ``scopes`` ask for, those it holds now; what it may not do is left out, not refused
        (the spec's way: the registry then answers the request itself)."""
        access = await self._grant(principal, scopes)
        subject = principal.name if principal is not None else ""
        token_id = principal.token_id if principal is not None else None
        return Granted(await self._bearer.issue(subject, token_id, access), access)

    async def _grant(
        self, principal: Principal | None, scopes: Sequence[Scope]
    ) -> list[dict[str, Any]]:
        granted: dict[str, list[str]] = {}
        for scope in scopes:
            if scope.kind == "registry" and scope.name == "catalog":
                continue  # the catalog lists only what the caller may read, token or not
            if scope.kind != "repository":
                continue
            try:
                image = ImageName.parse(scope.name)
            except RegistryError:
                continue
            repository = await self._repositories.find(image.repository)
            if repository is None:
                continue
            allowed = granted.setdefault(scope.name, [])
            for action in scope.actions:
                needed = DOCKER_ACTIONS.get(action)
                if needed is None or action in allowed:
                    continue
                if all(self._access.allows(principal, repository, a) for a in needed):
                    allowed.append(action)
        return [
            {"type": "repository", "name": name, "actions": actions}
            for name, actions in granted.items()
        ]


__all__ = ["DOCKER_ACTIONS", "Granted", "RegistryTokens", "Scope", "image_grants"]

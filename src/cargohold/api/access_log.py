"""Who made a request, for the server's access log.

The HTTP server puts a mutable slot in every request's scope (``scope["cargohold.log"]``, a
dict that the shallow copies apps make of their scope share); the code that resolves
credentials names the principal there: the account's name, a token's id for a token that
names no account, nothing for an anonymous caller (logged as ``-``); behind a trusted proxy,
the client it names. Served by another
server, without the slot, this does nothing.
"""

from __future__ import annotations

from starlette.types import Scope

from cargohold.registry.identity.permissions import Principal

SLOT = "cargohold.log"


def note_principal(scope: Scope, principal: Principal | None) -> None:
    slot = scope.get(SLOT)
    if slot is None or principal is None:
        return
    name = principal.name or principal.token_id
    if name:
        slot["principal"] = name


def note_client(scope: Scope, client: str) -> None:
    """The client a trusted proxy named, in place of the proxy's own address."""
    slot = scope.get(SLOT)
    if slot is not None:
        slot["client"] = client


__all__ = ["SLOT", "note_client", "note_principal"]

"""``cargohold token list|show|create|revoke``: API tokens for scripts, CI and docker."""

from __future__ import annotations

import click

from cargohold.cli.output import (
    json_option,
    limit_option,
    names,
    print_fields,
    print_json,
    print_table,
    when,
)
from cargohold.cli.perm import split_commas
from cargohold.cli.remote import connection_options, with_client
from cargohold.cli.times import Duration
from cargohold.client.models import Scope, Token
from cargohold.client.rest import CargoholdClient


class ScopeType(click.ParamType[Scope]):
    """``REPOSITORY:ACTION[,ACTION...]``, e.g. ``dev:read,write`` or ``team-*:read``."""

    name = "scope"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Scope:
        if isinstance(value, Scope):
            return value
        repository, _, actions = str(value).rpartition(":")
        parsed = split_commas((actions,))
        if not repository or not parsed:
            self.fail(f"{value!r} is not REPOSITORY:ACTIONS like dev:read,write", param, ctx)
        return Scope(repository, tuple(parsed))


@click.group()
@connection_options
def token() -> None:
    """Manage API tokens."""


def _scopes(found: Token) -> str:
    return "all of the owner's" if found.scopes is None else names(map(str, found.scopes))


def _row(found: Token) -> list[str]:
    return [
        found.id,
        found.owner,
        found.kind,
        found.description,
        _scopes(found),
        when(found.created),
        when(found.expires),
    ]


@token.command("list")
@click.option("--owner", metavar="NAME", help="Another user's tokens (admin).")
@limit_option
@json_option
@with_client
def token_list(
    client: CargoholdClient, owner: str | None, limit: int | None, as_json: bool
) -> None:
    """List your API tokens (never their secrets)."""
    tokens = client.tokens.list(owner, limit)
    if as_json:
        print_json([t.to_json() for t in tokens])
        return
    print_table(
        ["ID", "OWNER", "KIND", "DESCRIPTION", "SCOPES", "CREATED", "EXPIRES"], map(_row, tokens)
    )


@token.command("show")
@click.argument("token_id", metavar="ID")
@json_option
@with_client
def token_show(client: CargoholdClient, token_id: str, as_json: bool) -> None:
    """Show one API token."""
    found = client.tokens.get(token_id)
    if as_json:
        print_json(found.to_json())
        return
    fields = ["id", "owner", "kind", "description", "scopes", "created", "expires"]
    print_fields(list(zip(fields, _row(found), strict=True)))


@token.command("create")
@click.option("--description", required=True, help="What the token is for.")
@click.option(
    "--scope",
    "scopes",
    type=ScopeType(),
    multiple=True,
    help="REPOSITORY:ACTIONS, e.g. dev:read,write (repeatable) [default: all your rights].",
)
@click.option("--expires-in", type=Duration(), help="Seconds, or 90m, 12h, 30d [default: never].")
@click.option("--owner", metavar="NAME", help="Create it for another user (admin).")
@json_option
@with_client
def token_create(
    client: CargoholdClient,
    description: str,
    scopes: tuple[Scope, ...],
    expires_in: int | None,
    owner: str | None,
    as_json: bool,
) -> None:
    """Create an API token and print its secret: the only time it is shown."""
    created = client.tokens.create(description, scopes or None, expires_in=expires_in, owner=owner)
    click.echo(
        f"API token {created.id} for {created.owner} ({_scopes(created)} rights, expires: "
        f"{when(created.expires)}). Copy the secret now: it is shown only once.",
        err=True,
    )
    if as_json:
        print_json(created.to_json())
    else:
        click.echo(created.secret)


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@with_client
def token_revoke(client: CargoholdClient, token_id: str) -> None:
    """Revoke an API token at once."""
    client.tokens.revoke(token_id)
    click.echo(f"revoked token {token_id}")


__all__ = ["ScopeType", "token"]

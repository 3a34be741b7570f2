"""``cargohold perm list|show|grant|revoke``: who may do what on which repositories."""

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
from cargohold.cli.remote import connection_options, with_client
from cargohold.client.models import Permission
from cargohold.client.rest import CargoholdClient

ACTIONS_HELP = "read, write, delete, promote, annotate or manage (repeatable, or comma-separated)."


def split_commas(values: tuple[str, ...]) -> list[str]:
    """``--action read --action write,delete`` as ``["read", "write", "delete"]``."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


@click.group()
@connection_options
def perm() -> None:
    """Grant and revoke permissions on repositories (admin)."""


def _row(p: Permission) -> list[str]:
    return [p.id, p.principal, names(p.repositories), names(p.actions), when(p.created)]


@perm.command("list")
@click.option("--principal", help="Only this user:NAME or group:NAME.")
@limit_option
@json_option
@with_client
def perm_list(
    client: CargoholdClient, principal: str | None, limit: int | None, as_json: bool
) -> None:
    """List permissions."""
    permissions = client.permissions.list(principal, limit)
    if as_json:
        print_json([p.to_json() for p in permissions])
        return
    print_table(["ID", "PRINCIPAL", "REPOSITORIES", "ACTIONS", "CREATED"], map(_row, permissions))


@perm.command("show")
@click.argument("permission_id", metavar="ID")
@json_option
@with_client
def perm_show(client: CargoholdClient, permission_id: str, as_json: bool) -> None:
    """Show one permission."""
    found = client.permissions.get(permission_id)
    if as_json:
        print_json(found.to_json())
        return
    fields = ["id", "principal", "repositories", "actions", "created"]
    print_fields(list(zip(fields, _row(found), strict=True)))


@perm.command("grant")
@click.argument("principal")
@click.option(
    "--repo",
    "repositories",
    multiple=True,
    required=True,
    metavar="KEY",
    help="A repository key or pattern like 'team-*' (repeatable).",
)
@click.option("--action", "actions", multiple=True, required=True, help=ACTIONS_HELP)
@json_option
@with_client
def perm_grant(
    client: CargoholdClient,
    principal: str,
    repositories: tuple[str, ...],
    actions: tuple[str, ...],
    as_json: bool,
) -> None:
    """Let PRINCIPAL (user:NAME or group:NAME) act on repositories; prints the new id."""
    granted = client.permissions.grant(principal, split_commas(repositories), split_commas(actions))
    if as_json:
        print_json(granted.to_json())
        return
    click.echo(
        f"granted {granted.principal} {names(granted.actions)} on {names(granted.repositories)}",
        err=True,
    )
    click.echo(granted.id)


@perm.command("revoke")
@click.argument("permission_id", metavar="ID")
@with_client
def perm_revoke(client: CargoholdClient, permission_id: str) -> None:
    """Revoke a permission by its id."""
    client.permissions.revoke(permission_id)
    click.echo(f"revoked permission {permission_id}")


__all__ = ["perm", "split_commas"]

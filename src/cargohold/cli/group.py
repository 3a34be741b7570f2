"""``cargohold group list|show|create|update|delete``."""

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
from cargohold.client.models import Group
from cargohold.client.rest import CargoholdClient


@click.group()
@connection_options
def group() -> None:
    """Manage groups of users (admin)."""


def _show(found: Group, as_json: bool) -> None:
    if as_json:
        print_json(found.to_json())
        return
    print_fields(
        [
            ("name", found.name),
            ("description", found.description),
            ("members", names(found.members)),
            ("created", when(found.created)),
        ]
    )


@group.command("list")
@limit_option
@json_option
@with_client
def group_list(client: CargoholdClient, limit: int | None, as_json: bool) -> None:
    """List groups."""
    groups = client.groups.list(limit)
    if as_json:
        print_json([g.to_json() for g in groups])
        return
    print_table(
        ["NAME", "MEMBERS", "DESCRIPTION", "CREATED"],
        ([g.name, names(g.members), g.description, when(g.created)] for g in groups),
    )


@group.command("show")
@click.argument("name")
@json_option
@with_client
def group_show(client: CargoholdClient, name: str, as_json: bool) -> None:
    """Show one group."""
    _show(client.groups.get(name), as_json)


@group.command("create")
@click.argument("name")
@click.option("--description", default="")
@click.option("--member", "members", multiple=True, metavar="USER", help="Repeatable.")
@json_option
@with_client
def group_create(
    client: CargoholdClient, name: str, description: str, members: tuple[str, ...], as_json: bool
) -> None:
    """Create a group."""
    created = client.groups.create(name, description, members)
    if as_json:
        print_json(created.to_json())
    else:
        click.echo(f"created group {created.name!r} with members: {names(created.members)}")


@group.command("update")
@click.argument("name")
@click.option("--add", multiple=True, metavar="USER", help="Add a member (repeatable).")
@click.option("--remove", multiple=True, metavar="USER", help="Remove a member (repeatable).")
@click.option("--description")
@json_option
@with_client
def group_update(
    client: CargoholdClient,
    name: str,
    add: tuple[str, ...],
    remove: tuple[str, ...],
    description: str | None,
    as_json: bool,
) -> None:
    """Change a group's members or description."""
    if not add and not remove and description is None:
        raise click.UsageError("nothing to change: give --add, --remove or --description")
    updated = client.groups.update(name, description=description, add=add, remove=remove)
    if as_json:
        print_json(updated.to_json())
    else:
        click.echo(f"updated group {updated.name!r}; members: {names(updated.members)}")


@group.command("delete")
@click.argument("name")
@with_client
def group_delete(client: CargoholdClient, name: str) -> None:
    """Delete a group (its members stay)."""
    client.groups.delete(name)
    click.echo(f"deleted group {name!r}")


__all__ = ["group"]

"""``cargohold user list|show|create|update|delete``."""

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
    yes_no,
)
from cargohold.cli.passwords import password_from_stdin, prompt_new_password
from cargohold.cli.remote import connection_options, with_client
from cargohold.client.models import User
from cargohold.client.rest import CargoholdClient


@click.group()
@connection_options
def user() -> None:
    """Manage users and service accounts."""


def _kind(account: User) -> str:
    if account.service:
        return "service account"
    kind = "admin" if account.admin else "user"
    return f"directory {kind}" if account.directory else kind


def _show(account: User, as_json: bool) -> None:
    if as_json:
        print_json(account.to_json())
        return
    print_fields(
        [
            ("name", account.name),
            ("admin", yes_no(account.admin)),
            ("service account", yes_no(account.service)),
            ("directory", yes_no(account.directory)),
            ("email", account.email or "-"),
            ("groups", names(account.groups)),
            ("created", when(account.created)),
        ]
    )


@user.command("list")
@limit_option
@json_option
@with_client
def user_list(client: CargoholdClient, limit: int | None, as_json: bool) -> None:
    """List users (admin)."""
    users = client.users.list(limit)
    if as_json:
        print_json([u.to_json() for u in users])
        return
    print_table(
        ["NAME", "ADMIN", "SERVICE", "EMAIL", "GROUPS", "CREATED"],
        (
            [
                u.name,
                yes_no(u.admin),
                yes_no(u.service),
                u.email or "-",
                names(u.groups),
                when(u.created),
            ]
            for u in users
        ),
    )


@user.command("show")
@click.argument("name")
@json_option
@with_client
def user_show(client: CargoholdClient, name: str, as_json: bool) -> None:
    """Show one user (admin, or yourself)."""
    _show(client.users.get(name), as_json)


@user.command("create")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--service", is_flag=True, help="A service account: no password, API tokens only.")
@click.option("--email", help="The user's email address.")
@json_option
@with_client
def user_create(
    client: CargoholdClient,
    name: str,
    password_stdin: bool,
    admin: bool,
    service: bool,
    email: str | None,
    as_json: bool,
) -> None:
    """Create a user (admin); asks for the password unless --password-stdin or --service."""
    if service and password_stdin:
        raise click.UsageError("a service account has no password; drop --password-stdin")
    password: str | None = None
    if password_stdin:
        password = password_from_stdin()
    elif not service:
        password = prompt_new_password(f"Password for {name}")
    created = client.users.create(name, password, admin=admin, service=service, email=email)
    if as_json:
        print_json(created.to_json())
    else:
        click.echo(f"created {_kind(created)} {created.name!r}")


@user.command("update")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Set the password read from standard input.")
@click.option("--password-prompt", is_flag=True, help="Set a password typed at a prompt.")
@click.option("--admin/--no-admin", default=None, help="Make or unmake an administrator.")
@click.option("--email", help="The user's email address.")
@json_option
@with_client
def user_update(
    client: CargoholdClient,
    name: str,
    password_stdin: bool,
    password_prompt: bool,
    admin: bool | None,
    email: str | None,
    as_json: bool,
) -> None:
    """Change a user (admin; anyone may change their own password and email)."""
    if password_stdin and password_prompt:
        raise click.UsageError("give --password-stdin or --password-prompt, not both")
    password: str | None = None
    if password_stdin:
        password = password_from_stdin()
    elif password_prompt:
        password = prompt_new_password(f"New password for {name}")
    if password is None and admin is None and email is None:
        raise click.UsageError(
            "nothing to change: give --password-stdin, --password-prompt, --admin/--no-admin "
            "or --email"
        )
    updated = client.users.update(name, password=password, admin=admin, email=email)
    if as_json:
        print_json(updated.to_json())
    else:
        click.echo(f"updated user {updated.name!r}")


@user.command("delete")
@click.argument("name")
@with_client
def user_delete(client: CargoholdClient, name: str) -> None:
    """Delete a user (admin); the last admin cannot be deleted."""
    client.users.delete(name)
    click.echo(f"deleted user {name!r}")


__all__ = ["user"]

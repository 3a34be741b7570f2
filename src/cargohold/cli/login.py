"""``cargohold login URL``, ``cargohold logout`` and ``cargohold whoami``.

Logging in trades the password, once, for an API token of kind ``cli`` valid for 30 days; only
the token is stored (see ``cli/config.py``). Logging out revokes it on the server.
"""

from __future__ import annotations

import contextlib
import socket

import click

from cargohold.cli.config import (
    LoginFileInvalid,
    StoredLogin,
    forget_login,
    load_login,
    login_path,
    save_login,
)
from cargohold.cli.output import json_option, names, print_fields, print_json, yes_no
from cargohold.cli.passwords import password_from_stdin, prompt_password
from cargohold.cli.remote import normalize_url, with_client
from cargohold.client.errors import ClientError
from cargohold.client.rest import CargoholdClient

LOGIN_LIFETIME = 30 * 24 * 3600


def _revoke(login: StoredLogin) -> None:
    with CargoholdClient(login.url, token=login.token) as client:
        client.tokens.revoke(login.token_id)


@click.command()
@click.argument("url")
@click.option("-u", "--username", help="[default: ask]")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def login(url: str, username: str | None, password_stdin: bool) -> None:
    """Log in to the cargohold server at URL and remember it for later commands."""
    url = normalize_url(url)
    if password_stdin and username is None:
        raise click.UsageError(
            "--password-stdin needs --username: standard input holds the password"
        )
    if username is None:
        username = click.prompt("Username")
    password = password_from_stdin() if password_stdin else prompt_password()
    path = login_path()
    try:
        previous = load_login(path)
    except LoginFileInvalid:
        previous = None  # replaced below
    with CargoholdClient(url, username, password) as client:
        try:
            created = client.tokens.create(
                f"cargohold CLI on {socket.gethostname()}",
                kind="cli",
                expires_in=LOGIN_LIFETIME,
            )
        except ClientError as exc:
            raise click.ClickException(str(exc)) from exc
    stored = StoredLogin(url, created.owner, created.secret, created.id)
    try:
        save_login(stored, path)
    except OSError as exc:
        with contextlib.suppress(ClientError):
            _revoke(stored)  # a token nobody holds
        raise click.ClickException(f"cannot store the login in {path}: {exc.strerror}") from exc
    if previous is not None and previous.token_id != stored.token_id:
        with contextlib.suppress(ClientError):
            _revoke(previous)  # best effort: the old login's token is of no more use
    click.echo(f"Logged in to {url} as {stored.username}")


@click.command()
def logout() -> None:
    """Revoke the stored login's token and forget it."""
    path = login_path()
    try:
        stored = load_login(path)
    except LoginFileInvalid:
        forget_login(path)
        click.echo(f"Removed {path}, which held no valid login")
        return
    if stored is None:
        click.echo("Not logged in", err=True)
        return
    try:
        _revoke(stored)
    except ClientError as exc:
        if exc.status not in (401, 404):  # otherwise already expired or revoked
            raise click.ClickException(
                f"could not revoke the token at {stored.url}: {exc}; still logged in "
                f"(try again, or delete {path} and revoke token {stored.token_id} later)"
            ) from exc
    forget_login(path)
    click.echo(f"Logged out of {stored.url}")


@click.command()
@json_option
@with_client
def whoami(client: CargoholdClient, as_json: bool) -> None:
    """Show who the server takes you to be."""
    me = client.me()
    if as_json:
        print_json(me.to_json())
        return
    print_fields(
        [
            ("user", me.name),
            ("server", client.base_url),
            ("admin", yes_no(me.admin)),
            ("service account", yes_no(me.service)),
            ("email", me.email or "-"),
            ("groups", names(me.groups)),
            ("signed in with", f"API token {me.token.id}" if me.token else "password"),
        ]
    )


__all__ = ["login", "logout", "whoami"]

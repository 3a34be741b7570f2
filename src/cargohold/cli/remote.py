"""Which server a command talks to, and as whom.

In order: ``--url``/``--user``/``--password`` (on the command or its group), then the
environment (``CARGOHOLD_URL``, ``CARGOHOLD_USER``, ``CARGOHOLD_PASSWORD``,
``CARGOHOLD_TOKEN``), then the login stored by ``cargohold login`` (only for the server it was
made for), else anonymous to http://127.0.0.1:5000.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Concatenate, ParamSpec, TypeVar

import click

from cargohold.cli.config import StoredLogin, load_login, login_path
from cargohold.client.errors import ClientError
from cargohold.client.rest import CargoholdClient

DEFAULT_URL = "http://127.0.0.1:5000"
DEFAULT_USER = "admin"  # with a password but no user name, as the first CLI did
TOKEN_PREFIX = "chk_"

P = ParamSpec("P")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])


def normalize_url(url: str) -> str:
    """``host:port`` means ``http://host:port``; no trailing slash."""
    url = url.strip()
    if "://" not in url:
        url = f"http://{url}"
    return url.rstrip("/")


def same_server(a: str, b: str) -> bool:
    return normalize_url(a).lower() == normalize_url(b).lower()


@dataclass
class ConnectionOptions:
    """The connection options given on the command line, group and command merged."""

    url: str | None = None
    user: str | None = None
    password: str | None = None


@dataclass(frozen=True, slots=True)
class Remote:
    url: str
    username: str | None = None
    password: str | None = None
    token: str | None = None
    stored: bool = False  # the token is the stored login's

    def client(self) -> CargoholdClient:
        return CargoholdClient(self.url, self.username, self.password, token=self.token)


def resolve(
    options: ConnectionOptions,
    environ: Mapping[str, str],
    stored: Callable[[], StoredLogin | None],
    prompt_password: Callable[[str, str], str],
) -> Remote:
    given = options.url or environ.get("CARGOHOLD_URL")
    url = normalize_url(given) if given else ""
    user = options.user or environ.get("CARGOHOLD_USER") or None
    password = options.password or environ.get("CARGOHOLD_PASSWORD") or None
    if password is not None:
        if user is None and password.startswith(TOKEN_PREFIX):
            return Remote(_url_or_default(url, stored), token=password)
        return Remote(_url_or_default(url, stored), user or DEFAULT_USER, password)
    token = environ.get("CARGOHOLD_TOKEN") or None
    if token is not None:
        return Remote(_url_or_default(url, stored), token=token)
    if user is not None:
        url = _url_or_default(url, stored)
        return Remote(url, user, prompt_password(user, url))
    login = stored()
    if login is not None and (not url or same_server(login.url, url)):
        return Remote(normalize_url(login.url), login.username, token=login.token, stored=True)
    return Remote(url or DEFAULT_URL)


def _url_or_default(url: str, stored: Callable[[], StoredLogin | None]) -> str:
    """Credentials given without a URL go to the stored login's server, else the default."""
    if url:
        return url
    login = stored()
    return normalize_url(login.url) if login is not None else DEFAULT_URL


def explain(exc: ClientError, remote: Remote) -> str:
    """The server's message, with what to do next when the caller was not recognised."""
    message = str(exc)
    if exc.status == 401 and remote.stored:
        return f"{message}; the stored login no longer works: run `cargohold login {remote.url}`"
    if exc.status in (401, 403) and remote.username is None and remote.token is None:
        return f"{message}; run `cargohold login {remote.url}` or set CARGOHOLD_USER/PASSWORD"
    return message


def _remember(field: str) -> Callable[[click.Context, click.Parameter, str | None], None]:
    def callback(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        if value is not None:
            setattr(ctx.ensure_object(ConnectionOptions), field, value)

    return callback


def connection_options(command: F) -> F:
    """``--url``, ``--user``, ``--password``; on a group they count for all its commands."""
    for name, field, help_text in (
        ("--password", "password", "Your password or API token [env: CARGOHOLD_PASSWORD]."),
        ("--user", "user", "Your user name [env: CARGOHOLD_USER; default: admin with a password]."),
        ("--url", "url", f"Server URL [env: CARGOHOLD_URL; default: login or {DEFAULT_URL}]."),
    ):
        command = click.option(name, expose_value=False, callback=_remember(field), help=help_text)(
            command
        )
    return command


def _prompt_password(user: str, url: str) -> str:
    return click.prompt(f"Password for {user} at {url}", hide_input=True)


def current_remote() -> Remote:
    ctx = click.get_current_context()
    options = ctx.find_object(ConnectionOptions) or ConnectionOptions()
    return resolve(options, os.environ, lambda: load_login(login_path()), _prompt_password)


def with_client(command: Callable[Concatenate[CargoholdClient, P], R]) -> Callable[P, R]:
    """A command that talks to the server: it gets a client as its first argument and the
    connection options, and a server error becomes a one-line message, not a traceback."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        remote = current_remote()
        with remote.client() as client:
            try:
                return command(client, *args, **kwargs)
            except ClientError as exc:
                raise click.ClickException(explain(exc, remote)) from exc

    return connection_options(run)


__all__ = [
    "DEFAULT_URL",
    "ConnectionOptions",
    "Remote",
    "connection_options",
    "current_remote",
    "explain",
    "normalize_url",
    "resolve",
    "same_server",
    "with_client",
]

"""Starting the server: prepare the data directory once, then run the worker processes."""

from __future__ import annotations

import functools
import sys

import click

from cargohold.app import create_app, prepare, worker_exited
from cargohold.core.errors import DatabaseUnavailable
from cargohold.server import Timeouts, bind, serve
from cargohold.settings import Settings


def server_timeouts(settings: Settings) -> Timeouts:
    """The server's timeouts, its own defaults where the settings leave one unset."""
    chosen = {
        "read": settings.read_timeout,
        "write": settings.write_timeout,
        "keep_alive": settings.keep_alive_timeout,
    }
    return Timeouts(**{name: value for name, value in chosen.items() if value is not None})


def run(settings: Settings) -> int:
    try:
        bootstrap = prepare(settings)
    except OSError as exc:
        raise click.ClickException(f"cannot use data directory {settings.data_dir}: {exc}") from exc
    except DatabaseUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        sock = bind(settings.host, settings.port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {settings.listen}: {exc.strerror}") from exc
    url = f"http://{settings.listen}"
    click.echo(f"cargohold listening on {url} (data in {settings.data_dir.resolve()})")
    if bootstrap.created_repositories:
        click.echo(f"created repositories: {', '.join(bootstrap.created_repositories)}")
    if bootstrap.generated_password is not None:
        click.echo(
            f"bootstrap admin: user {settings.admin_user!r}, password "
            f"{bootstrap.generated_password!r} "
            "(shown once; set CARGOHOLD_ADMIN_PASSWORD to choose it)"
        )
    click.echo(f"log in: docker login {settings.listen} -u {settings.admin_user}")
    click.echo(f"        cargohold login {url} --username {settings.admin_user}")
    click.echo(f"REST API: {url}/api/v1/ (OpenAPI at {url}/api/v1/openapi.json)")
    sys.stdout.flush()  # the banner must show before the server runs, even through a pipe
    app = functools.partial(create_app, settings)
    return serve(
        app, sock, settings.worker_count, server_timeouts(settings), worker_exited(settings)
    )


__all__ = ["run", "server_timeouts"]

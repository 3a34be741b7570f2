"""Starting the server: prepare the data directory once, then run the worker processes."""

from __future__ import annotations

import functools
import sys

import click

from cargohold.app import create_app, prepare
from cargohold.server import bind, serve
from cargohold.settings import Settings


def run(settings: Settings) -> int:
    try:
        bootstrap = prepare(settings)
    except OSError as exc:
        raise click.ClickException(f"cannot use data directory {settings.data_dir}: {exc}") from exc
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
    return serve(functools.partial(create_app, settings), sock, settings.worker_count)


__all__ = ["run"]

"""Starting the server: prepare the data directory once, then run the worker processes."""

from __future__ import annotations

import os

import click
from granian.constants import Interfaces
from granian.server import Server

from cargohold.app import prepare
from cargohold.settings import Settings, settings_environment


def run(settings: Settings) -> int:
    bootstrap = prepare(settings)
    os.environ.update(settings_environment(settings))
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
    click.echo(f"REST API: {url}/api/v1/repositories")
    server = Server(
        "cargohold.app:create_app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.worker_count,
        factory=True,
        log_access=False,
        backlog=2048,
        websockets=False,
    )
    server.serve()
    return 0


__all__ = ["run"]

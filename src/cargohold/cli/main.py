"""``cargohold serve`` and ``cargohold repo list|create|delete``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from cargohold.client.rest import CargoholdClient, ClientError
from cargohold.settings import SettingsError, load_settings


@click.group()
@click.version_option(package_name="cargohold")
def main() -> None:
    """cargohold: a universal artifact repository."""


@main.command()
@click.option("--listen", help="HOST:PORT to listen on [default: 127.0.0.1:5000]")
@click.option("--data-dir", type=click.Path(path_type=Path), help="[default: ./cargohold-data]")
@click.option("--config", type=click.Path(path_type=Path, exists=True), help="TOML config file")
@click.option("--workers", type=int, help="server processes [default: one per core]")
def serve(
    listen: str | None, data_dir: Path | None, config: Path | None, workers: int | None
) -> None:
    """Run cargohold on the embedded default: SQLite + files in the data directory."""
    from cargohold.cli.serve import run

    try:
        settings = load_settings(
            config, overrides={"listen": listen, "data_dir": data_dir, "workers": workers}
        )
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    sys.exit(run(settings))


@main.group()
@click.option("--url", envvar="CARGOHOLD_URL", default="http://127.0.0.1:5000", show_default=True)
@click.option("--user", envvar="CARGOHOLD_USER", default="admin", show_default=True)
@click.option("--password", envvar="CARGOHOLD_PASSWORD", help="or CARGOHOLD_PASSWORD")
@click.pass_context
def repo(ctx: click.Context, url: str, user: str, password: str | None) -> None:
    """Manage repositories."""
    ctx.obj = CargoholdClient(url, user, password)
    ctx.call_on_close(ctx.obj.close)


def _client(ctx: click.Context) -> CargoholdClient:
    client = ctx.find_object(CargoholdClient)
    assert client is not None  # set by the group
    return client


@repo.command("list")
@click.pass_context
def repo_list(ctx: click.Context) -> None:
    """List repositories."""
    try:
        repositories = _client(ctx).list_repositories()
    except ClientError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{'KEY':<24} {'FORMAT':<8} {'KIND':<8} ANONYMOUS-READ")
    for r in repositories:
        click.echo(f"{r.key:<24} {r.format:<8} {r.kind:<8} {'yes' if r.anonymous_read else 'no'}")


@repo.command("create")
@click.argument("key")
@click.option("--format", "format_", default="docker", show_default=True)
@click.option("--kind", default="local", show_default=True)
@click.option("--anonymous-read/--no-anonymous-read", default=False, show_default=True)
@click.option("--description", default="")
@click.pass_context
def repo_create(
    ctx: click.Context, key: str, format_: str, kind: str, anonymous_read: bool, description: str
) -> None:
    """Create a repository."""
    try:
        created = _client(ctx).create_repository(key, format_, kind, anonymous_read, description)
    except ClientError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {created.format} repository {created.key!r} ({created.kind})")


@repo.command("delete")
@click.argument("key")
@click.pass_context
def repo_delete(ctx: click.Context, key: str) -> None:
    """Delete a repository and everything it holds."""
    try:
        _client(ctx).delete_repository(key)
    except ClientError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"deleted repository {key!r}")


if __name__ == "__main__":
    main(prog_name=os.path.basename(sys.argv[0]))

"""The ``cargohold`` command: ``serve`` runs the server; every other command talks to one
over HTTP (see ``cli/remote.py`` for which server, as whom)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cargohold.cli.audit import audit
from cargohold.cli.backup import backup, restore, verify
from cargohold.cli.deb import deb
from cargohold.cli.gc import gc
from cargohold.cli.group import group
from cargohold.cli.image import image
from cargohold.cli.insight import affected, components, impact, sbom, scan, vulns
from cargohold.cli.job import job
from cargohold.cli.login import login, logout, whoami
from cargohold.cli.migrate import migrate
from cargohold.cli.package import package
from cargohold.cli.perm import perm
from cargohold.cli.policy import policy, watch
from cargohold.cli.promote import promote, promotions, props
from cargohold.cli.repo import repo
from cargohold.cli.retention import retention
from cargohold.cli.search import search
from cargohold.cli.storage import storage
from cargohold.cli.token import token
from cargohold.cli.user import user
from cargohold.cli.vulndb import vulndb
from cargohold.cli.webhook import webhook
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
@click.option("--tls-cert", type=click.Path(path_type=Path), help="serve HTTPS: PEM certificate")
@click.option("--tls-key", type=click.Path(path_type=Path), help="the certificate's PEM key")
def serve(
    listen: str | None,
    data_dir: Path | None,
    config: Path | None,
    workers: int | None,
    tls_cert: Path | None,
    tls_key: Path | None,
) -> None:
    """Run cargohold on the embedded default: SQLite + files in the data directory."""
    from cargohold.cli.serve import run

    overrides = {
        "listen": listen,
        "data_dir": data_dir,
        "workers": workers,
        "tls_cert": tls_cert,
        "tls_key": tls_key,
    }
    try:
        settings = load_settings(config, overrides=overrides)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    sys.exit(run(settings, lambda: load_settings(config, overrides=overrides)))


main.add_command(login)
main.add_command(logout)
main.add_command(whoami)
main.add_command(repo)
main.add_command(image)
main.add_command(package)
main.add_command(deb)
main.add_command(user)
main.add_command(group)
main.add_command(perm)
main.add_command(token)
main.add_command(audit)
main.add_command(webhook)
main.add_command(job)
main.add_command(gc)
main.add_command(promote)
main.add_command(promotions)
main.add_command(props)
main.add_command(search)
main.add_command(storage)
main.add_command(vulndb)
main.add_command(policy)
main.add_command(watch)
main.add_command(retention)
for command in (backup, restore, verify, migrate):
    main.add_command(command)
for command in (scan, sbom, vulns, components, impact, affected):
    main.add_command(command)


if __name__ == "__main__":
    main(prog_name="cargohold")

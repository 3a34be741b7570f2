"""``cargohold migrate [--check]``: bring the database to this version's schema now, or only
say whether a start would (a local command: see ``cli/local.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cargohold.cli.local import local_settings, settings_options
from cargohold.core.errors import SchemaUnknown

PENDING = 3  # the exit status of --check when a start would migrate


@click.command()
@click.option(
    "--check",
    is_flag=True,
    help=f"Migrate nothing: exit 0 when the schema is current, {PENDING} (listing the "
    "migrations) when a start would migrate.",
)
@settings_options
def migrate(check: bool, config: Path | None, data_dir: Path | None) -> None:
    """Migrate the database to this version's schema, as a start would (on PostgreSQL, run
    it once before starting the new version on every node)."""
    from cargohold.app import open_stores  # the stores load with the command that needs them

    settings = local_settings(config, data_dir)
    if not settings.has_database:
        click.echo(f"no database in {settings.data_dir}: a start creates it")
        sys.exit(PENDING if check else 0)
    _, meta = open_stores(settings, migrate=False)
    try:
        pending = meta.pending_migrations()
        if not pending:
            click.echo("the database schema is current: a start would not migrate")
            return
        click.echo(f"{len(pending)} migrations pending: {', '.join(pending)}")
        if check:
            sys.exit(PENDING)
        meta.migrate()
        click.echo("migrated")
    except SchemaUnknown as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        meta.close()


__all__ = ["PENDING", "migrate"]

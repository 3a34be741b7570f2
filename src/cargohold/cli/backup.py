"""``cargohold backup|restore|verify``: back an instance up while it serves, rebuild one from
a backup, and check that every blob its metadata holds is stored whole (local commands: see
``cli/local.py``; the backup reads the database file itself, which no HTTP API could do as
one consistent copy)."""

from __future__ import annotations

import shutil
from pathlib import Path

import anyio
import click

from cargohold.cli.local import ProgressLine, local_settings, settings_options
from cargohold.cli.output import size_text
from cargohold.core.errors import BackupFailed, SchemaUnknown

# The stores and the use cases are imported by each command, as ``serve`` imports the app:
# every other command starts without loading them.


@click.command()
@click.argument("destination", type=click.Path(path_type=Path, file_okay=False))
@settings_options
def backup(destination: Path, config: Path | None, data_dir: Path | None) -> None:
    """Back the instance up into DESTINATION while it serves: the database, then every blob
    it records; a second backup into the same directory copies only the new blobs."""
    from cargohold.app import open_blob_store
    from cargohold.registry.backup.backup import BackupRun

    settings = local_settings(config, data_dir)
    run = BackupRun(
        settings.database,
        open_blob_store(settings),
        destination,
        grace=settings.gc_grace_seconds,
    )
    try:
        manifest = anyio.run(run.run, ProgressLine("backup"))
    except BackupFailed as exc:
        raise click.ClickException(str(exc)) from exc
    held = manifest.contents
    click.echo(
        f"backup of {held.repositories} repositories, {held.images} images, {held.tags} tags,"
        f" {held.files} files, {held.users} users (schema {manifest.revision}) in {destination}"
    )
    click.echo(
        f"blobs: {manifest.copied} copied ({size_text(manifest.copied_bytes)}),"
        f" {manifest.skipped} already there ({size_text(manifest.skipped_bytes)})"
    )


@click.command()
@click.argument("source", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path),
    required=True,
    help="the new instance's data directory: absent or empty",
)
@click.option("--config", type=click.Path(path_type=Path, exists=True), help="TOML config file")
def restore(source: Path, data_dir: Path, config: Path | None) -> None:
    """Rebuild an instance from the backup SOURCE into an empty data directory, checking
    every blob's digest as it is copied; then start it with cargohold serve."""
    from cargohold.app import open_blob_store
    from cargohold.registry.backup.restore import restore as restore_backup

    settings = local_settings(config, data_dir)
    if data_dir.exists() and any(data_dir.iterdir()):
        raise click.ClickException(f"{data_dir} is not empty: restore into a new directory")
    created = not data_dir.exists()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        report = anyio.run(
            restore_backup,
            source,
            settings.database,
            open_blob_store(settings),
            ProgressLine("restore"),
        )
    except BackupFailed as exc:
        # What was copied is no instance without its database: leave the directory as found.
        for entry in list(data_dir.iterdir()):
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        if created:
            data_dir.rmdir()
        raise click.ClickException(str(exc)) from exc
    held = report.contents
    click.echo(
        f"restored the backup taken at {report.taken_at} (schema {report.revision}) into"
        f" {data_dir}: {held.repositories} repositories, {held.images} images, {held.tags}"
        f" tags, {held.files} files, {held.users} users; {report.blobs} blobs"
        f" ({size_text(report.bytes)}) verified"
    )


@click.command()
@settings_options
def verify(config: Path | None, data_dir: Path | None) -> None:
    """Check that every blob the metadata holds is in the blob store and hashes to its
    digest (SQLite and files, or PostgreSQL and S3, while the server runs); exits 1 naming
    each blob missing or corrupt."""
    from cargohold.app import open_stores
    from cargohold.registry.backup.verify import verify as verify_stores

    settings = local_settings(config, data_dir)
    if not settings.has_database:
        raise click.ClickException(f"no cargohold database in {settings.data_dir}")
    store, meta = open_stores(settings, migrate=False)
    try:
        pending = meta.pending_migrations()
        if pending:
            raise click.ClickException(
                f"the database is at an older schema ({len(pending)} migrations pending): "
                "start the server or run cargohold migrate first"
            )
        report = anyio.run(verify_stores, meta, store, ProgressLine("verify"))
    except SchemaUnknown as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        meta.close()
    for digest in report.missing:
        click.echo(f"missing: {digest}")
    for damage in report.corrupt:
        click.echo(f"corrupt: {damage}")
    summary = (
        f"checked {report.checked} blobs ({size_text(report.bytes)}):"
        f" {len(report.missing)} missing, {len(report.corrupt)} corrupt"
    )
    if not report.ok:
        raise click.ClickException(summary)
    click.echo(summary)


__all__ = ["backup", "restore", "verify"]

"""``cargohold gc run|why``: garbage collection (admin)."""

from __future__ import annotations

import click

from cargohold.cli.output import json_option, print_fields, print_json, print_table, size_text, when
from cargohold.cli.remote import connection_options, with_client
from cargohold.client.rest import CargoholdClient


@click.group()
@connection_options
def gc() -> None:
    """Garbage collection: free the space of what nothing holds any more."""


@gc.command("run")
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@json_option
@with_client
def gc_run(client: CargoholdClient, dry_run: bool, as_json: bool) -> None:
    """Collect now, while clients go on pushing and pulling, and report what was freed."""
    report = client.gc.run(dry_run)
    if as_json:
        print_json(report.to_json())
        return
    verb = "would free" if dry_run else "freed"
    click.echo(
        f"{verb} {size_text(report.bytes_freed)} in {report.blobs_deleted} blobs"
        f" ({report.unrecorded_blobs} not in the metadata); removed"
        f" {report.manifests_removed} referrers whose subject is gone;"
        f" {report.duration_seconds:.2f} s (grace {report.grace_seconds:g} s)"
    )
    if report.blobs_left:
        click.echo(f"{report.blobs_left} blobs are left for the next collection")


@gc.command("why")
@click.argument("digest")
@json_option
@with_client
def gc_why(client: CargoholdClient, digest: str, as_json: bool) -> None:
    """Why the blob DIGEST is still here, or when garbage collection may delete it."""
    found = client.gc.references(digest)
    if as_json:
        print_json(found.to_json())
        return
    if found.deleting:
        state = "being deleted by garbage collection"
    elif found.live:
        state = "live: garbage collection keeps it"
    elif found.touched is None:
        state = "stored, recorded nowhere: collected once older than the grace period"
    else:
        since, collectable = when(found.touched, "ever"), when(found.collectable)
        state = f"unreferenced since {since}; collectable from {collectable}"
    print_fields(
        [
            ("digest", found.digest),
            ("size", "unknown" if found.size is None else size_text(found.size)),
            ("stored", "yes" if found.stored else "no"),
            ("state", state),
        ]
    )
    if found.holders:
        click.echo("")
        rows = [
            [h.kind, h.repository, h.name, h.digest or "", ",".join(h.tags)] for h in found.holders
        ]
        print_table(["HELD BY", "REPOSITORY", "NAME", "MANIFEST", "TAGS"], rows)


__all__ = ["gc"]

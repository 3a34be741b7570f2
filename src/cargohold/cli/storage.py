"""``cargohold storage``: the bytes each repository (and image) holds, what the instance
stores and how much deduplication saves."""

from __future__ import annotations

import click

from cargohold.cli.output import json_option, print_fields, print_json, print_table
from cargohold.cli.remote import with_client
from cargohold.cli.sizes import limit_text
from cargohold.client.rest import CargoholdClient
from cargohold.core.sizes import human


@click.command()
@click.option("--images", is_flag=True, help="List every image, largest first, too.")
@json_option
@with_client
def storage(client: CargoholdClient, images: bool, as_json: bool) -> None:
    """Show storage usage: by repository (and image), stored bytes, deduplication ratio.

    Administrators see the whole instance; anyone else the repositories they may read."""
    report = client.storage()
    if as_json:
        print_json(report.to_json())
        return
    print_table(
        ["REPOSITORY", "FORMAT", "SIZE", "QUOTA", "USE", "IMAGES"],
        (
            [
                r.key,
                r.format,
                human(r.used_bytes),
                limit_text(r.quota_bytes),
                "-" if not r.quota_bytes else f"{100 * r.used_bytes / r.quota_bytes:.0f}%",
                str(len(r.images)),
            ]
            for r in report.repositories
        ),
    )
    if images:
        click.echo()
        print_table(
            ["IMAGE", "SIZE", "BLOBS"],
            (
                [f"{r.key}/{i.name}", human(i.used_bytes), str(i.blobs)]
                for r in report.repositories
                for i in r.images
            ),
        )
    totals = report.instance
    if totals is None:
        return
    ratio = totals.deduplication_ratio
    click.echo()
    print_fields(
        [
            (
                "stored",
                f"{human(totals.stored_bytes)} in {totals.stored_blobs} blob"
                + ("" if totals.stored_blobs == 1 else "s"),
            ),
            ("logical", f"{human(totals.logical_bytes)} (the repositories' sizes added)"),
            ("deduplication ratio", "-" if ratio is None else f"{ratio:.2f}"),
            ("instance quota", limit_text(totals.quota_bytes)),
        ]
    )


__all__ = ["storage"]

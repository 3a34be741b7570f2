"""``cargohold search``: find images and generic files across the repositories you may read."""

from __future__ import annotations

from datetime import datetime

import click

from cargohold.cli.output import json_option, names, print_json, print_table, size_text, when
from cargohold.cli.remote import with_client
from cargohold.cli.times import Instant
from cargohold.client.rest import CargoholdClient
from cargohold.client.search import SearchItem

DEFAULT_LIMIT = 100


def _row(item: SearchItem) -> list[str]:
    return [
        item.type,
        item.repository,
        item.name,
        names(item.tags),
        item.digest[:19],
        size_text(item.size),
        when(item.modified),
    ]


@click.command()
@click.argument("name", required=False)
@click.option(
    "--repo",
    "repositories",
    multiple=True,
    metavar="KEY",
    help="Only in this repository (repeatable) [default: every one you may read].",
)
@click.option("--tag", help="Only images with this tag.")
@click.option("--digest", help="Only this content: sha256:…")
@click.option(
    "--property",
    "properties",
    multiple=True,
    metavar="KEY=VALUE",
    help="Only artifacts with this property (repeatable: all must match).",
)
@click.option("--type", "kind", type=click.Choice(["image", "file"]), help="Only images or files.")
@click.option("--created-after", type=Instant(), help="RFC 3339, a date, or 2h (ago).")
@click.option("--created-before", type=Instant(), help="Same forms as --created-after.")
@click.option("--modified-after", type=Instant(), help="Pushed or tagged since: same forms.")
@click.option("--modified-before", type=Instant(), help="Same forms as --created-after.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Show at most N items; 0 for all.",
)
@json_option
@with_client
def search(
    client: CargoholdClient,
    name: str | None,
    repositories: tuple[str, ...],
    tag: str | None,
    digest: str | None,
    properties: tuple[str, ...],
    kind: str | None,
    created_after: datetime | None,
    created_before: datetime | None,
    modified_after: datetime | None,
    modified_before: datetime | None,
    limit: int,
    as_json: bool,
) -> None:
    """Find images and files; NAME is a glob over image names (team/app) and file paths
    (releases/*.tgz): * is any run of characters, / included, ? one character.

    \b
    Examples:
      cargohold search 'team/*' --repo prod
      cargohold search --property build.name=web --property qa.status=passed
      cargohold search --tag 1.4 --modified-after 7d
    """
    for pair in properties:
        if "=" not in pair or pair.startswith("="):
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--property")
    items = client.search.find(
        repositories=repositories,
        name=name,
        tag=tag,
        digest=digest,
        properties=properties,
        created_after=created_after,
        created_before=created_before,
        modified_after=modified_after,
        modified_before=modified_before,
        type=kind,
        limit=limit or None,
    )
    if as_json:
        print_json([item.to_json() for item in items])
        return
    if not items:
        click.echo("nothing found", err=True)
        return
    print_table(
        ["TYPE", "REPOSITORY", "NAME", "TAGS", "DIGEST", "SIZE", "MODIFIED"], map(_row, items)
    )


__all__ = ["search"]

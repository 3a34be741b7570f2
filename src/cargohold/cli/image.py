"""``cargohold image delete``: a tag, or a manifest with its tags, saying what went."""

from __future__ import annotations

import click

from cargohold.cli.output import json_option, print_json
from cargohold.cli.promote import artifact_argument
from cargohold.cli.remote import connection_options, with_client
from cargohold.client.images import ImageDeletion
from cargohold.client.rest import CargoholdClient


@click.group()
@connection_options
def image() -> None:
    """Manage the images of docker repositories."""


@image.command("delete")
@click.argument("reference", metavar="REPO/IMAGE:TAG|REPO/IMAGE@DIGEST")
@json_option
@with_client
def image_delete(client: CargoholdClient, reference: str, as_json: bool) -> None:
    """Delete a tag (the manifest stays, for the other tags or untagged) or, by digest, a
    manifest with every tag that points to it. Needs delete on the repository; refused
    where tags are immutable."""
    artifact = artifact_argument(reference)
    if artifact.tag is None and artifact.digest is None:
        raise click.BadParameter(
            f"{reference!r} names no tag or digest: REPO/IMAGE:TAG deletes a tag, "
            "REPO/IMAGE@DIGEST a manifest"
        )
    done = client.images.delete(artifact)
    if as_json:
        print_json(done.to_json())
        return
    click.echo(describe(done))


def describe(done: ImageDeletion) -> str:
    """What went and what stayed, in words."""
    if done.manifest_removed:
        tags = f" and its tags {', '.join(done.tags_removed)}" if done.tags_removed else ""
        return f"deleted manifest {done.name}@{done.digest}{tags}"
    tag = done.tags_removed[0]
    if done.remaining_tags:
        stays = f"it stays, still tagged {', '.join(done.remaining_tags)}"
    else:
        stays = (
            f"it stays, untagged: delete it with `cargohold image delete {done.name}@{done.digest}`"
        )
    return f"deleted tag {done.name}:{tag}; manifest {done.digest}: {stays}"


__all__ = ["image"]

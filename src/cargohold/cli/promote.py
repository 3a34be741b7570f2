"""``cargohold promote`` and ``cargohold promotions``: move what passed a stage on to the
next, by digest, and see where an image has been."""

from __future__ import annotations

import click

from cargohold.cli.output import json_option, limit_option, names, print_json, print_table, when
from cargohold.cli.remote import connection_options, with_client
from cargohold.client.lifecycle import Artifact, Promotion
from cargohold.client.rest import CargoholdClient


def artifact_argument(value: str, file: bool = False) -> Artifact:
    try:
        return Artifact.file(value) if file else Artifact.parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


file_option = click.option(
    "--file", "is_file", is_flag=True, help="ARTIFACT is REPO/PATH of a generic file."
)
ARTIFACT = "REPO/IMAGE:TAG|REPO/IMAGE@DIGEST|REPO/PATH"


def property_pairs(values: tuple[str, ...]) -> dict[str, list[str]]:
    """``key=value`` pairs; a key given twice gets both values."""
    found: dict[str, list[str]] = {}
    for pair in values:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE")
        found.setdefault(key, []).append(value)
    return found


def _row(p: Promotion) -> list[str]:
    return [
        when(p.time),
        p.principal,
        f"{p.source_repo}/{p.source}",
        f"{p.target_repo}/{p.target}",
        names(p.tags),
        (p.digest or "-")[:19],
        "copy" if p.copy else "move",
        p.result,
        p.comment,
    ]


HEADERS = ["TIME", "BY", "FROM", "TO", "TAGS", "DIGEST", "MODE", "RESULT", "COMMENT"]


@click.command()
@click.argument("source", metavar="REPO/IMAGE[:TAG]")
@click.argument("target_repository", metavar="TARGET_REPO")
@click.option("--copy", is_flag=True, help="Leave the image in the source [default: move it].")
@click.option("--target-image", help="Image name in the target [default: the same].")
@click.option("--target-tag", help="Tag in the target [default: the same].")
@click.option(
    "--property",
    "properties",
    multiple=True,
    metavar="KEY=VALUE",
    help="Add to the promoted image (repeatable).",
)
@click.option("--comment", default="", help="Why: the evidence, a ticket.")
@click.option("--dry-run", is_flag=True, help="Check everything, change nothing.")
@json_option
@with_client
def promote(
    client: CargoholdClient,
    source: str,
    target_repository: str,
    copy: bool,
    target_image: str | None,
    target_tag: str | None,
    properties: tuple[str, ...],
    comment: str,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Promote an image (every tag without :TAG) to another repository, by digest: every
    platform and every referrer go along, and no byte is copied."""
    done = client.promotions.docker(
        artifact_argument(source),
        target_repository,
        target_image=target_image,
        target_tag=target_tag,
        copy=copy,
        dry_run=dry_run,
        properties=property_pairs(properties),
        comment=comment,
    )
    if as_json:
        print_json([p.to_json() for p in done])
        return
    for p in done:
        verb = "would promote" if p.dry_run else ("copied" if p.copy else "moved")
        click.echo(
            f"{verb} {p.source_repo}/{p.source}@{p.digest} to {p.target_repo}/{p.target} "
            f"as {names(p.tags)}"
        )


@click.command()
@click.option("--digest", help="Only promotions of this digest.")
@click.option("--image", help="Only promotions of this image name (e.g. team/app).")
@click.option("--repository", help="Only promotions from or to this repository.")
@limit_option
@json_option
@with_client
def promotions(
    client: CargoholdClient,
    digest: str | None,
    image: str | None,
    repository: str | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """The promotion history, newest first."""
    found = client.promotions.list(digest=digest, image=image, repository=repository, limit=limit)
    if as_json:
        print_json([p.to_json() for p in found])
        return
    print_table(HEADERS, map(_row, found))


@click.group()
@connection_options
def props() -> None:
    """Properties (key = values) on an image digest or tag, or a generic file."""


@props.command("get")
@click.argument("artifact", metavar=ARTIFACT)
@file_option
@json_option
@with_client
def props_get(client: CargoholdClient, artifact: str, is_file: bool, as_json: bool) -> None:
    """Show the properties of an image tag or digest, or of a file (--file)."""
    values = client.properties.get(artifact_argument(artifact, is_file))
    if as_json:
        print_json(values)
        return
    print_table(["KEY", "VALUES"], ([k, names(v)] for k, v in sorted(values.items())))


@props.command("set")
@click.argument("artifact", metavar=ARTIFACT)
@click.argument("pairs", nargs=-1, required=True, metavar="KEY=VALUE...")
@file_option
@json_option
@with_client
def props_set(
    client: CargoholdClient, artifact: str, pairs: tuple[str, ...], is_file: bool, as_json: bool
) -> None:
    """Set properties (each key given gets exactly the values given)."""
    values = client.properties.set(artifact_argument(artifact, is_file), property_pairs(pairs))
    if as_json:
        print_json(values)
        return
    print_table(["KEY", "VALUES"], ([k, names(v)] for k, v in sorted(values.items())))


@props.command("delete")
@click.argument("artifact", metavar=ARTIFACT)
@click.argument("keys", nargs=-1, metavar="[KEY...]")
@file_option
@with_client
def props_delete(
    client: CargoholdClient, artifact: str, keys: tuple[str, ...], is_file: bool
) -> None:
    """Delete the given keys (every key when none is given)."""
    client.properties.delete(artifact_argument(artifact, is_file), list(keys) or None)
    click.echo(
        f"deleted {'properties ' + ', '.join(keys) if keys else 'every property'} of {artifact}"
    )


__all__ = ["promote", "promotions", "props"]

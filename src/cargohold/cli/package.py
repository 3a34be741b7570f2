"""``cargohold package ls|versions|yank|unyank|delete|promote``: the package versions of
PyPI, npm, Debian and Maven repositories."""

from __future__ import annotations

import click

from cargohold.cli.output import (
    json_option,
    limit_option,
    names,
    print_json,
    print_table,
    size_text,
    when,
)
from cargohold.cli.promote import property_pairs
from cargohold.cli.remote import connection_options, with_client
from cargohold.client.packages import PackageVersionInfo
from cargohold.client.rest import CargoholdClient


@click.group()
@connection_options
def package() -> None:
    """Manage the package versions of PyPI, npm, Debian and Maven repositories."""


@package.command("ls")
@click.argument("repository", metavar="REPO")
@limit_option
@json_option
@with_client
def package_ls(client: CargoholdClient, repository: str, limit: int | None, as_json: bool) -> None:
    """List the packages of a PyPI, npm, Debian or Maven repository, by name."""
    found = client.packages.list(repository, limit)
    if as_json:
        print_json([p.to_json() for p in found])
        return
    if not found:
        click.echo(f"repository {repository!r} holds no packages")
        return
    for summary in found:
        click.echo(summary.name)


def _row(version: PackageVersionInfo) -> list[str]:
    size = sum(f.size for f in version.files)
    return [
        version.version,
        when(version.created),
        version.created_by,
        names(version.tags),
        "-" if version.yanked is None else (version.yanked or "yes"),
        f"{len(version.files)} ({size_text(size)})",
        names(f.filename for f in version.files),
    ]


@package.command("versions")
@click.argument("repository", metavar="REPO")
@click.argument("name")
@json_option
@with_client
def package_versions(client: CargoholdClient, repository: str, name: str, as_json: bool) -> None:
    """List a package's versions, oldest first, with their dist-tags (npm), whether they
    are yanked (deprecated) and why, and their files."""
    found = client.packages.versions(repository, name)
    if as_json:
        print_json(found.to_json())
        return
    print_table(
        ["VERSION", "CREATED", "BY", "TAGS", "YANKED", "FILES", "FILENAMES"],
        map(_row, found.versions),
    )


@package.command("yank")
@click.argument("repository", metavar="REPO")
@click.argument("name")
@click.argument("version")
@click.option("--reason", default="", help="Why: shown to whoever installs it.")
@json_option
@with_client
def package_yank(
    client: CargoholdClient, repository: str, name: str, version: str, reason: str, as_json: bool
) -> None:
    """Yank a version (PyPI: installers skip it unless it is pinned; npm: deprecate it,
    installs warn with the reason). Needs write on the repository."""
    done = client.packages.yank(repository, name, version, reason)
    if as_json:
        print_json(done.to_json())
        return
    why = f": {done.yanked}" if done.yanked else ""
    click.echo(f"yanked {done.name} {done.version} in {done.repository!r}{why}")


@package.command("unyank")
@click.argument("repository", metavar="REPO")
@click.argument("name")
@click.argument("version")
@json_option
@with_client
def package_unyank(
    client: CargoholdClient, repository: str, name: str, version: str, as_json: bool
) -> None:
    """Undo a yank (npm: a deprecation). Needs write on the repository."""
    done = client.packages.unyank(repository, name, version)
    if as_json:
        print_json(done.to_json())
        return
    click.echo(f"{done.name} {done.version} in {done.repository!r} is no longer yanked")


@package.command("delete")
@click.argument("repository", metavar="REPO")
@click.argument("name")
@click.argument("version")
@json_option
@with_client
def package_delete(
    client: CargoholdClient, repository: str, name: str, version: str, as_json: bool
) -> None:
    """Delete a version with its files. Needs delete on the repository, and a repository
    that allows unpublishing (`cargohold repo update REPO --allow-unpublish`)."""
    done = client.packages.delete(repository, name, version)
    if as_json:
        print_json(done.to_json())
        return
    click.echo(f"deleted {done.name} {', '.join(done.versions)} from {done.repository!r}")


@package.command("promote")
@click.argument("repository", metavar="REPO")
@click.argument("name")
@click.argument("version")
@click.option("--to", "target", required=True, metavar="TARGET_REPO", help="Where it goes.")
@click.option("--move", is_flag=True, help="Remove it from REPO [default: copy it].")
@click.option("--dry-run", is_flag=True, help="Check everything, change nothing.")
@click.option(
    "--property",
    "properties",
    multiple=True,
    metavar="KEY=VALUE",
    help="Add to the promoted version (repeatable).",
)
@click.option("--comment", default="", help="Why: the evidence, a ticket.")
@json_option
@with_client
def package_promote(
    client: CargoholdClient,
    repository: str,
    name: str,
    version: str,
    target: str,
    move: bool,
    dry_run: bool,
    properties: tuple[str, ...],
    comment: str,
    as_json: bool,
) -> None:
    """Promote a version, all its files, to another repository of its format: no byte is
    copied, policies watching the target may refuse it, and the promotion is recorded
    (`cargohold promotions --repository TARGET_REPO`). Needs promote on REPO (and delete
    there to --move) and write on TARGET_REPO."""
    done = client.packages.promote(
        repository,
        name,
        version,
        target,
        copy=not move,
        dry_run=dry_run,
        properties=property_pairs(properties),
        comment=comment,
    )
    if as_json:
        print_json(done.to_json())
        return
    for message in done.messages:
        click.echo(message.message)
    for file in done.files:
        click.echo(f"  {file.filename}  {size_text(file.size)}  sha256:{file.sha256}")


__all__ = ["package"]

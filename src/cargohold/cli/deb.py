"""``cargohold deb upload|keys|rotate-key``: Debian repositories' packages and signing keys."""

from __future__ import annotations

from pathlib import Path

import click

from cargohold.cli.output import json_option, print_json, print_table, size_text, when
from cargohold.cli.remote import connection_options, with_client
from cargohold.client.rest import CargoholdClient
from cargohold.wire.signing import SigningKeys


@click.group()
@connection_options
def deb() -> None:
    """Upload packages to Debian repositories; show and rotate their signing keys."""


@deb.command("upload")
@click.argument("repository", metavar="REPO")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--distribution",
    "-d",
    "distributions",
    multiple=True,
    required=True,
    help="A distribution to list it in (bookworm); repeat for several.",
)
@click.option(
    "--component",
    "-c",
    "components",
    multiple=True,
    required=True,
    help="A component to list it in (main); repeat for several.",
)
@click.option("--architecture", help="Checked against the package's own.")
@click.option(
    "--path",
    help="Where it goes in the repository [default: pool/COMPONENT/L/NAME/FILE, as Debian's].",
)
@json_option
@with_client
def deb_upload(
    client: CargoholdClient,
    repository: str,
    file: Path,
    distributions: tuple[str, ...],
    components: tuple[str, ...],
    architecture: str | None,
    path: str | None,
    as_json: bool,
) -> None:
    """Upload a .deb and list it in each distribution and component given; their signed
    indexes are published before this returns. Needs write on the repository."""
    done = client.deb.upload(repository, file, distributions, components, architecture, path)
    if as_json:
        print_json(done.to_json())
        return
    where = ", ".join(f"{d}/{c}" for d in done.distributions for c in done.components)
    click.echo(
        f"uploaded {done.package} {done.version} ({done.architecture}, "
        f"{size_text(done.size)}) to {done.repo}/{done.path}, listed in {where}"
    )


def _show(keys: SigningKeys) -> None:
    print_table(
        ["FINGERPRINT", "CREATED", "RETIRES"],
        [
            [k.fingerprint, when(k.created), "-" if k.retire_at is None else when(k.retire_at)]
            for k in keys.keys
        ],
    )


@deb.command("keys")
@click.argument("repository", metavar="REPO")
@click.option("--armor", is_flag=True, help="Print the armored keys (what apt's signed-by takes).")
@json_option
@with_client
def deb_keys(client: CargoholdClient, repository: str, armor: bool, as_json: bool) -> None:
    """The keys the repository signs its indexes with, newest first."""
    keys = client.deb.keys(repository)
    if as_json:
        print_json(keys.to_json())
    elif armor:
        click.echo("".join(k.public_key for k in keys.keys), nl=False)
    else:
        _show(keys)


@deb.command("rotate-key")
@click.argument("repository", metavar="REPO")
@click.option(
    "--grace-days",
    type=click.FloatRange(0, 3650),
    default=30.0,
    show_default=True,
    help="How long the current keys keep signing beside the new one.",
)
@json_option
@with_client
def deb_rotate_key(
    client: CargoholdClient, repository: str, grace_days: float, as_json: bool
) -> None:
    """Make a new signing key; the indexes are signed by it and, for the grace period, by the
    current ones too, so clients can take the new key (from /deb/REPO/key.asc) before the
    old one stops. Needs manage on the repository."""
    keys = client.deb.rotate_key(repository, grace_days)
    if as_json:
        print_json(keys.to_json())
        return
    _show(keys)


__all__ = ["deb"]

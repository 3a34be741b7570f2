"""``cargohold repo list|show|create|update|delete``."""

from __future__ import annotations

import click

from cargohold.cli.output import (
    json_option,
    limit_option,
    print_fields,
    print_json,
    print_table,
    yes_no,
)
from cargohold.cli.remote import connection_options, with_client
from cargohold.cli.sizes import SizeLimit, Unlimited, limit_text
from cargohold.client.models import Repository
from cargohold.client.rest import CargoholdClient
from cargohold.core.sizes import human
from cargohold.records.repositories import Holdings
from cargohold.wire.base import UNSET

QUOTA_HELP = (
    "The bytes of distinct blobs it may hold, e.g. 500MB, 10GiB (KB/MB/GB/TB: powers of "
    "1000; KiB/MiB/GiB/TiB: powers of 1024), or none; a push over it is refused."
)


@click.group()
@connection_options
def repo() -> None:
    """Manage repositories."""


def _show(repository: Repository, as_json: bool) -> None:
    if as_json:
        print_json(repository.to_json())
        return
    print_fields(
        [
            ("key", repository.key),
            ("format", repository.format),
            ("kind", repository.kind),
            ("anonymous read", yes_no(repository.anonymous_read)),
            ("immutable tags", yes_no(repository.immutable_tags)),
            ("description", repository.description),
            ("size", human(repository.used_bytes)),
            ("quota", limit_text(repository.quota_bytes)),
        ]
    )


@repo.command("list")
@limit_option
@json_option
@with_client
def repo_list(client: CargoholdClient, limit: int | None, as_json: bool) -> None:
    """List the repositories you may read."""
    repositories = client.repositories.list(limit)
    if as_json:
        print_json([r.to_json() for r in repositories])
        return
    print_table(
        [
            "KEY",
            "FORMAT",
            "KIND",
            "SIZE",
            "QUOTA",
            "ANONYMOUS-READ",
            "IMMUTABLE-TAGS",
            "DESCRIPTION",
        ],
        (
            [
                r.key,
                r.format,
                r.kind,
                human(r.used_bytes),
                limit_text(r.quota_bytes),
                yes_no(r.anonymous_read),
                yes_no(r.immutable_tags),
                r.description,
            ]
            for r in repositories
        ),
    )


@repo.command("show")
@click.argument("key")
@json_option
@with_client
def repo_show(client: CargoholdClient, key: str, as_json: bool) -> None:
    """Show one repository."""
    _show(client.repositories.get(key), as_json)


@repo.command("create")
@click.argument("key")
@click.option("--format", "format_", default="docker", show_default=True)
@click.option("--kind", default="local", show_default=True)
@click.option("--anonymous-read/--no-anonymous-read", default=False, show_default=True)
@click.option(
    "--immutable-tags/--mutable-tags",
    default=False,
    show_default=True,
    help="Existing tags can be neither overwritten nor deleted.",
)
@click.option("--description", default="")
@click.option("--quota", type=SizeLimit(), help=QUOTA_HELP + " [default: none]")
@json_option
@with_client
def repo_create(
    client: CargoholdClient,
    key: str,
    format_: str,
    kind: str,
    anonymous_read: bool,
    immutable_tags: bool,
    description: str,
    quota: int | Unlimited | None,
    as_json: bool,
) -> None:
    """Create a repository (admin)."""
    quota_bytes = quota if isinstance(quota, int) else None
    created = client.repositories.create(
        key, format_, kind, anonymous_read, description, immutable_tags, quota_bytes
    )
    if as_json:
        print_json(created.to_json())
    else:
        click.echo(f"created {created.format} repository {created.key!r} ({created.kind})")


@repo.command("update")
@click.argument("key")
@click.option("--anonymous-read/--no-anonymous-read", default=None, help="Let anyone pull, or not.")
@click.option(
    "--immutable-tags/--mutable-tags",
    default=None,
    help="Existing tags can be neither overwritten nor deleted, or they can.",
)
@click.option("--description")
@click.option("--quota", type=SizeLimit(), help=QUOTA_HELP + " Admin only.")
@json_option
@with_client
def repo_update(
    client: CargoholdClient,
    key: str,
    anonymous_read: bool | None,
    immutable_tags: bool | None,
    description: str | None,
    quota: int | Unlimited | None,
    as_json: bool,
) -> None:
    """Change a repository (admin, or `manage` on it; the quota: admin)."""
    if anonymous_read is None and description is None and immutable_tags is None and quota is None:
        raise click.UsageError(
            "nothing to change: give --anonymous-read/--no-anonymous-read, "
            "--immutable-tags/--mutable-tags, --description or --quota"
        )
    updated = client.repositories.update(
        key,
        anonymous_read=anonymous_read,
        description=description,
        immutable_tags=immutable_tags,
        quota_bytes=UNSET if quota is None else None if isinstance(quota, Unlimited) else quota,
    )
    if as_json:
        print_json(updated.to_json())
    else:
        click.echo(f"updated repository {updated.key!r}")
        _show(updated, as_json=False)


@repo.command("delete")
@click.argument("key")
@click.option("--force", is_flag=True, help="Delete it even though it holds artifacts.")
@click.option(
    "--confirm",
    metavar="KEY",
    help="The repository's key typed back: needed too for one with immutable tags.",
)
@json_option
@with_client
def repo_delete(
    client: CargoholdClient, key: str, force: bool, confirm: str | None, as_json: bool
) -> None:
    """Delete a repository (admin). One that holds images or files is refused unless
    --force; one with immutable tags also needs --confirm KEY."""
    removed = client.repositories.delete(key, force=force, confirm=confirm)
    if as_json:
        print_json(removed.to_json())
        return
    held = Holdings(removed.tags, removed.manifests, removed.files)
    click.echo(f"deleted repository {key!r}" + (f" with {held}" if held else ""))


__all__ = ["repo"]

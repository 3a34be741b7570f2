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
from cargohold.cli.passwords import password_from_stdin
from cargohold.cli.remote import connection_options, with_client
from cargohold.cli.repo_kinds import (
    KINDS,
    kind_fields,
    kind_text,
    package_options,
    remote_options,
    upstream_password,
    virtual_options,
)
from cargohold.cli.sizes import SizeLimit, Unlimited, limit_text
from cargohold.client.models import Repository
from cargohold.client.rest import CargoholdClient
from cargohold.core.sizes import human
from cargohold.records.repositories import Holdings
from cargohold.wire.base import UNSET, UnsetType

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
            *kind_fields(repository),
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
                kind_text(r),
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
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="local",
    show_default=True,
    help="local: holds what is pushed; remote: a pull-through cache of --upstream; "
    "virtual: resolves names in its --member repositories, in order.",
)
@click.option("--anonymous-read/--no-anonymous-read", default=False, show_default=True)
@click.option(
    "--immutable-tags/--mutable-tags",
    default=False,
    show_default=True,
    help="Existing tags can be neither overwritten nor deleted.",
)
@click.option("--description", default="")
@click.option("--quota", type=SizeLimit(), help=QUOTA_HELP + " [default: none]")
@remote_options(update=False)
@virtual_options(update=False)
@package_options(update=False)
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
    upstream: str | None,
    username: str | None,
    password_stdin: bool,
    verify_tls: bool | None,
    revalidate_seconds: int | None,
    timeout: float | None,
    offline: bool | None,
    members: tuple[str, ...],
    default_deploy: str | None,
    allow_overwrite: bool | None,
    allow_unpublish: bool | None,
    trust_remote_names: bool | None,
    as_json: bool,
) -> None:
    """Create a repository (admin): local, remote (a pull-through cache of an upstream
    registry) or virtual (names resolved in its members, in order). A local PyPI or npm
    repository refuses overwriting and allows unpublishing unless told otherwise; a virtual
    one reads a name a local member holds from the local members only unless
    --trust-remote-names."""
    remote_given = {
        "--upstream": upstream is not None,
        "--username": username is not None,
        "--password-stdin": password_stdin,
        "--verify-tls/--no-verify-tls": verify_tls is not None,
        "--revalidate-seconds": revalidate_seconds is not None,
        "--timeout": timeout is not None,
        "--offline/--online": offline is not None,
    }
    virtual_given = {
        "--member": bool(members),
        "--default-deploy": default_deploy is not None,
        "--trust-remote-names/--no-trust-remote-names": trust_remote_names is not None,
    }
    local_given = {
        "--allow-overwrite/--no-allow-overwrite": allow_overwrite is not None,
        "--allow-unpublish/--no-unpublish": allow_unpublish is not None,
    }
    for owner, given in (
        ("remote", remote_given),
        ("virtual", virtual_given),
        ("local", local_given),
    ):
        misplaced = [name for name, present in given.items() if present]
        if kind != owner and misplaced:
            raise click.UsageError(f"{', '.join(misplaced)}: only with --kind {owner}")
    if password_stdin and username is None:
        raise click.UsageError("--password-stdin needs --username: the upstream user")
    quota_bytes = quota if isinstance(quota, int) else None
    created = client.repositories.create(
        key,
        format_,
        kind,
        anonymous_read,
        description,
        immutable_tags,
        quota_bytes,
        upstream=upstream,
        username=username,
        password=upstream_password(password_stdin),
        verify_tls=verify_tls,
        revalidate_seconds=revalidate_seconds,
        timeout_seconds=timeout,
        offline=offline,
        members=members or None,
        default_deploy=default_deploy,
        trust_remote_names=trust_remote_names,
        allow_overwrite=allow_overwrite,
        allow_unpublish=allow_unpublish,
    )
    if as_json:
        print_json(created.to_json())
    else:
        click.echo(f"created {created.format} repository {created.key!r} ({kind_text(created)})")


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
@remote_options(update=True)
@click.option(
    "--clear-credentials",
    is_flag=True,
    help="Sign in to the upstream as nobody: remove the username and password.",
)
@virtual_options(update=True)
@click.option(
    "--no-default-deploy", is_flag=True, help="No default deploy repository: refuse pushes."
)
@package_options(update=True)
@json_option
@with_client
def repo_update(
    client: CargoholdClient,
    key: str,
    anonymous_read: bool | None,
    immutable_tags: bool | None,
    description: str | None,
    quota: int | Unlimited | None,
    upstream: str | None,
    username: str | None,
    password_stdin: bool,
    verify_tls: bool | None,
    revalidate_seconds: int | None,
    timeout: float | None,
    offline: bool | None,
    clear_credentials: bool,
    members: tuple[str, ...],
    default_deploy: str | None,
    no_default_deploy: bool,
    allow_overwrite: bool | None,
    allow_unpublish: bool | None,
    trust_remote_names: bool | None,
    as_json: bool,
) -> None:
    """Change a repository (admin, or `manage` on it). Admin only: the quota; a remote
    repository's upstream, credentials and TLS verification; a virtual one's members,
    default deploy repository and trust in remote names; what a PyPI or npm repository
    allows (overwriting, unpublishing). Changing the upstream or the username needs the password
    again (--password-stdin) or --clear-credentials."""
    if clear_credentials and (username is not None or password_stdin):
        raise click.UsageError("--clear-credentials removes them: drop --username/--password-stdin")
    if no_default_deploy and default_deploy is not None:
        raise click.UsageError("give --default-deploy KEY or --no-default-deploy, not both")
    password: str | UnsetType | None = UNSET
    if clear_credentials:
        password = None
    elif password_stdin:
        password = password_from_stdin()
    deploy: str | UnsetType | None = UNSET
    if no_default_deploy:
        deploy = None
    elif default_deploy is not None:
        deploy = default_deploy
    changes = (
        anonymous_read,
        description,
        immutable_tags,
        quota,
        upstream,
        username,
        verify_tls,
        revalidate_seconds,
        timeout,
        offline,
        allow_overwrite,
        allow_unpublish,
        trust_remote_names,
    )
    if (
        all(value is None for value in changes)
        and not members
        and isinstance(password, UnsetType)
        and isinstance(deploy, UnsetType)
    ):
        raise click.UsageError(
            "nothing to change: give --anonymous-read/--no-anonymous-read, "
            "--immutable-tags/--mutable-tags, --description or --quota; for a remote "
            "repository --upstream, --username, --password-stdin, --clear-credentials, "
            "--verify-tls/--no-verify-tls, --revalidate-seconds, --timeout or "
            "--offline/--online; for a virtual one --member, --default-deploy or "
            "--trust-remote-names/--no-trust-remote-names; for a local PyPI or npm one "
            "--allow-overwrite/--no-allow-overwrite or --allow-unpublish/--no-unpublish"
        )
    updated = client.repositories.update(
        key,
        anonymous_read=anonymous_read,
        description=description,
        immutable_tags=immutable_tags,
        quota_bytes=UNSET if quota is None else None if isinstance(quota, Unlimited) else quota,
        upstream=upstream,
        username=UNSET if username is None else username,
        password=password,
        verify_tls=verify_tls,
        revalidate_seconds=revalidate_seconds,
        timeout_seconds=timeout,
        offline=offline,
        members=members or None,
        default_deploy=deploy,
        trust_remote_names=trust_remote_names,
        allow_overwrite=allow_overwrite,
        allow_unpublish=allow_unpublish,
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

"""The options and the display of remote and virtual repositories, for ``cargohold repo``:
a remote one's upstream settings, a virtual one's members and default deploy repository; and
what a PyPI or npm repository allows (overwriting, unpublishing, trusting remote names)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import click

from cargohold.cli.output import yes_no
from cargohold.cli.passwords import password_from_stdin
from cargohold.client.models import Repository
from cargohold.wire.base import UnsetType

F = TypeVar("F", bound=Callable[..., object])
KINDS = ("local", "remote", "virtual")


def _stack(*options: Callable[[F], F]) -> Callable[[F], F]:
    def apply(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return apply


def remote_options(*, update: bool) -> Callable[[F], F]:
    """``--upstream`` … ``--offline``: the settings of a remote repository."""
    for_remote = "" if update else " (--kind remote)"
    return _stack(
        click.option(
            "--upstream",
            metavar="URL",
            help="The upstream registry's URL, e.g. https://registry-1.docker.io"
            + for_remote
            + ".",
        ),
        click.option("--username", help="The user to sign in to the upstream as."),
        click.option(
            "--password-stdin",
            is_flag=True,
            help="Read the upstream password (or token) from standard input.",
        ),
        click.option(
            "--verify-tls/--no-verify-tls",
            default=None,
            help="Verify the upstream's TLS certificate, or not."
            + ("" if update else " [default: yes]"),
        ),
        click.option(
            "--revalidate-seconds",
            type=click.IntRange(min=0),
            metavar="N",
            help="Serve a cached tag for N seconds before asking the upstream whether it "
            "moved; 0: at every pull." + ("" if update else " [default: 300]"),
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0, min_open=True, max=3600),
            metavar="SECONDS",
            help="How long to wait for the upstream, per request."
            + ("" if update else " [default: 30]"),
        ),
        click.option(
            "--offline/--online",
            default=None,
            help="Serve only what is cached, never asking the upstream; or ask it again."
            + ("" if update else " [default: online]"),
        ),
    )


def virtual_options(*, update: bool) -> Callable[[F], F]:
    """``--member`` and ``--default-deploy``: the settings of a virtual repository."""
    return _stack(
        click.option(
            "--member",
            "members",
            multiple=True,
            metavar="KEY",
            help="A repository names are resolved in, in order; repeat it"
            + (" (replaces the members)." if update else " (--kind virtual)."),
        ),
        click.option(
            "--default-deploy",
            metavar="KEY",
            help="The local member pushes to the virtual repository go to."
            + ("" if update else " [default: none: pushes are refused]"),
        ),
    )


def package_options(*, update: bool) -> Callable[[F], F]:
    """What a PyPI or npm repository allows (administrators only)."""
    local = "" if update else " (local PyPI, npm, Debian and Maven repositories)"
    virtual = "" if update else " (virtual PyPI and npm repositories)"
    return _stack(
        click.option(
            "--allow-overwrite/--no-allow-overwrite",
            default=None,
            help="Accept a file (PyPI, a Maven release) or version (npm) that exists already, "
            "replacing it; or "
            "refuse it" + local + "." + ("" if update else " [default: refuse]"),
        ),
        click.option(
            "--allow-unpublish/--no-unpublish",
            default=None,
            help="Let versions be deleted (npm unpublish, `cargohold package delete`), or "
            "not" + local + "." + ("" if update else " [default: allow]"),
        ),
        click.option(
            "--trust-remote-names/--no-trust-remote-names",
            default=None,
            help="Let a remote member serve a package name a local member holds too; or read "
            "such a name from the local members only, the guard against dependency "
            "confusion" + virtual + "." + ("" if update else " [default: guard]"),
        ),
    )


def upstream_password(password_stdin: bool) -> str | None:
    return password_from_stdin() if password_stdin else None


def kind_text(repository: Repository) -> str:
    """The kind, with the upstream or the members: for a table cell."""
    if repository.kind == "remote" and isinstance(repository.upstream, str):
        offline = " (offline)" if repository.offline is True else ""
        return f"remote: {repository.upstream}{offline}"
    if repository.kind == "virtual" and isinstance(repository.members, list):
        return f"virtual: {', '.join(repository.members)}"
    return repository.kind


def kind_fields(repository: Repository) -> list[tuple[str, str]]:
    """The settings of a remote or virtual repository, as ``repo show`` prints them."""
    fields: list[tuple[str, str]] = []
    if isinstance(repository.upstream, str):
        fields += [
            ("upstream", repository.upstream),
            ("username", _text(repository.username, "none")),
            ("password", "set" if repository.has_password is True else "none"),
            ("verify TLS", _flag(repository.verify_tls)),
            ("revalidate", f"{_text(repository.revalidate_seconds, '?')} s"),
            ("timeout", f"{_seconds(repository.timeout_seconds)} s"),
            ("offline", _flag(repository.offline)),
        ]
    if isinstance(repository.members, list):
        fields += [
            ("members", ", ".join(repository.members)),
            ("default deploy", _text(repository.default_deploy_repo, "none (pushes refused)")),
        ]
    if isinstance(repository.trust_remote_names, bool):
        fields.append(("trust remote names", yes_no(repository.trust_remote_names)))
    if isinstance(repository.allow_overwrite, bool):
        fields.append(("allow overwrite", yes_no(repository.allow_overwrite)))
    if isinstance(repository.allow_unpublish, bool):
        fields.append(("allow unpublish", yes_no(repository.allow_unpublish)))
    return fields


def _text(value: object, empty: str) -> str:
    return empty if value is None or isinstance(value, UnsetType) else str(value)


def _flag(value: bool | UnsetType) -> str:
    return yes_no(value) if isinstance(value, bool) else "?"


def _seconds(value: float | UnsetType) -> str:
    if isinstance(value, UnsetType):
        return "?"
    return str(int(value)) if value.is_integer() else str(value)


__all__ = [
    "KINDS",
    "kind_fields",
    "kind_text",
    "package_options",
    "remote_options",
    "upstream_password",
    "virtual_options",
]

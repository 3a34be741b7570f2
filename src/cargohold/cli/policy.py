"""``cargohold policy create|list|show|delete``, ``cargohold policy exception
grant|list|revoke`` and ``cargohold watch create|list|show|delete``: what blocks a vulnerable
artifact, where, and the time-limited exceptions admins grant."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import click

from cargohold.cli.output import (
    json_option,
    limit_option,
    names,
    print_fields,
    print_json,
    print_table,
    when,
    yes_no,
)
from cargohold.cli.remote import connection_options, with_client
from cargohold.cli.times import Duration
from cargohold.client.policies import Policy, PolicyException, Watch
from cargohold.client.rest import CargoholdClient

SEVERITIES = ("LOW", "MEDIUM", "HIGH", "CRITICAL")


def rules_text(rules: Mapping[str, Any]) -> str:
    parts = []
    for key, value in rules.items():
        if value is True:
            parts.append(key)
        elif isinstance(value, list):
            parts.append(f"{key}={','.join(map(str, value))}")
        else:
            parts.append(f"{key}={value}")
    return "; ".join(parts) or "-"


def actions_text(actions: Mapping[str, bool]) -> str:
    return names(key for key, on in actions.items() if on)


@click.group()
@connection_options
def policy() -> None:
    """Manage policies: rules that block the download or promotion of what breaks them."""


def _policy_row(found: Policy) -> list[str]:
    return [
        found.name,
        rules_text(found.rules.to_json()),
        actions_text(found.actions.to_json()),
        found.description,
    ]


@policy.command("create")
@click.argument("name")
@click.option(
    "--min-severity",
    type=click.Choice(SEVERITIES, case_sensitive=False),
    help="Findings this severe or worse violate it.",
)
@click.option(
    "--advisory", "advisories", multiple=True, metavar="ID", help="OSV id or alias (repeatable)."
)
@click.option(
    "--license-deny", "licenses", multiple=True, metavar="LICENSE", help="Denied (repeatable)."
)
@click.option(
    "--max-unscanned",
    type=Duration(),
    metavar="DURATION",
    help="Not scanned this long after the push (600, 10m, 1h) violates it.",
)
@click.option("--block-incomplete", is_flag=True, help="An incomplete scan violates it.")
@click.option("--block-download", is_flag=True, help="Refuse pulls and downloads.")
@click.option("--block-promotion", is_flag=True, help="Refuse promotions into watched repos.")
@click.option("--notify", is_flag=True, help="Send a 'violation' event to webhooks.")
@click.option("--description", default="", help="What it is for.")
@json_option
@with_client
def policy_create(
    client: CargoholdClient,
    name: str,
    min_severity: str | None,
    advisories: tuple[str, ...],
    licenses: tuple[str, ...],
    max_unscanned: int | None,
    block_incomplete: bool,
    block_download: bool,
    block_promotion: bool,
    notify: bool,
    description: str,
    as_json: bool,
) -> None:
    """Create a policy; a watch applies it to repositories (cargohold watch create)."""
    rules: dict[str, Any] = {}
    if min_severity is not None:
        rules["minSeverity"] = min_severity.upper()
    if advisories:
        rules["advisories"] = list(advisories)
    if licenses:
        rules["licenses"] = list(licenses)
    if max_unscanned is not None:
        rules["maxUnscannedSeconds"] = max_unscanned
    if block_incomplete:
        rules["blockIncomplete"] = True
    actions = {
        "blockDownload": block_download,
        "blockPromotion": block_promotion,
        "notify": notify,
    }
    created = client.policies.create(name, rules, actions, description)
    if as_json:
        print_json(created.to_json())
    else:
        click.echo(
            f"created policy {created.name}: {rules_text(created.rules.to_json())} → "
            f"{actions_text(created.actions.to_json())}"
        )


@policy.command("list")
@limit_option
@json_option
@with_client
def policy_list(client: CargoholdClient, limit: int | None, as_json: bool) -> None:
    """List policies."""
    found = client.policies.list(limit)
    if as_json:
        print_json([p.to_json() for p in found])
        return
    print_table(["NAME", "RULES", "ACTIONS", "DESCRIPTION"], map(_policy_row, found))


@policy.command("show")
@click.argument("name")
@json_option
@with_client
def policy_show(client: CargoholdClient, name: str, as_json: bool) -> None:
    """Show one policy."""
    found = client.policies.get(name)
    if as_json:
        print_json(found.to_json())
        return
    fields = ["name", "rules", "actions", "description"]
    rows = list(zip(fields, _policy_row(found), strict=True))
    print_fields([*rows, ("created", f"{when(found.created)} by {found.created_by}")])


@policy.command("delete")
@click.argument("name")
@with_client
def policy_delete(client: CargoholdClient, name: str) -> None:
    """Delete a policy that no watch applies."""
    client.policies.delete(name)
    click.echo(f"deleted policy {name}")


@policy.group("exception")
def exception() -> None:
    """Time-limited exceptions: one artifact let through despite one advisory."""


def _exception_row(found: PolicyException) -> list[str]:
    return [
        found.id,
        found.digest,
        found.advisory,
        found.policy or "*",
        when(found.expires),
        yes_no(found.expired),
        found.created_by,
        found.reason,
    ]


@exception.command("grant")
@click.argument("digest")
@click.argument("advisory")
@click.option(
    "--expires-in",
    type=Duration(),
    metavar="DURATION",
    help="How long it holds: 3600, 12h, 7d (at most 90d).",
)
@click.option("--expires", metavar="TIME", help="Until this RFC 3339 time instead.")
@click.option("--reason", required=True, help="Why: kept with the exception and audited.")
@click.option("--policy", "policy_name", metavar="NAME", help="Under this policy only.")
@json_option
@with_client
def exception_grant(
    client: CargoholdClient,
    digest: str,
    advisory: str,
    expires_in: int | None,
    expires: str | None,
    reason: str,
    policy_name: str | None,
    as_json: bool,
) -> None:
    """Let the artifact DIGEST through despite ADVISORY (an OSV id or alias, or
    license:NAME) for a limited time (admin)."""
    if (expires_in is None) == (expires is None):
        raise click.UsageError("give --expires-in DURATION or --expires TIME (one of them)")
    until = None
    if expires is not None:
        try:
            parsed = datetime.fromisoformat(expires)
        except ValueError:
            raise click.BadParameter(
                f"{expires!r} is not a time like 2026-12-01T00:00:00Z", param_hint="--expires"
            ) from None
        until = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
    granted = client.policies.grant_exception(
        digest, advisory, reason, expires_in=expires_in, expires=until, policy=policy_name
    )
    if as_json:
        print_json(granted.to_json())
    else:
        click.echo(
            f"granted exception {granted.id}: {granted.digest} despite {granted.advisory} "
            f"until {when(granted.expires)}"
        )


@exception.command("list")
@click.option("--digest", help="Only exceptions for this digest.")
@click.option(
    "--active/--expired", "active", default=None, help="Only unexpired, or only expired, ones."
)
@limit_option
@json_option
@with_client
def exception_list(
    client: CargoholdClient,
    digest: str | None,
    active: bool | None,
    limit: int | None,
    as_json: bool,
) -> None:
    """List exceptions, newest first (admin)."""
    expired = None if active is None else not active
    found = client.policies.exceptions(digest, expired, limit)
    if as_json:
        print_json([e.to_json() for e in found])
        return
    print_table(
        ["ID", "DIGEST", "ADVISORY", "POLICY", "EXPIRES", "EXPIRED", "BY", "REASON"],
        map(_exception_row, found),
    )


@exception.command("revoke")
@click.argument("exception_id", metavar="ID")
@with_client
def exception_revoke(client: CargoholdClient, exception_id: str) -> None:
    """Revoke an exception: the artifact is judged again at the next pull (admin)."""
    client.policies.revoke_exception(exception_id)
    click.echo(f"revoked exception {exception_id}")


@click.group()
@connection_options
def watch() -> None:
    """Manage watches: which policies apply to which repositories."""


def _watch_row(found: Watch) -> list[str]:
    return [found.name, names(found.repositories), names(found.policies), found.description]


@watch.command("create")
@click.argument("name")
@click.option(
    "--repository",
    "repositories",
    multiple=True,
    required=True,
    metavar="PATTERN",
    help="Repository key or pattern, e.g. prod or team-* (repeatable).",
)
@click.option(
    "--policy", "policies", multiple=True, required=True, metavar="NAME", help="(repeatable)"
)
@click.option("--description", default="", help="What it is for.")
@json_option
@with_client
def watch_create(
    client: CargoholdClient,
    name: str,
    repositories: tuple[str, ...],
    policies: tuple[str, ...],
    description: str,
    as_json: bool,
) -> None:
    """Apply policies to repositories."""
    created = client.watches.create(name, repositories, policies, description)
    if as_json:
        print_json(created.to_json())
    else:
        click.echo(
            f"created watch {created.name}: {names(created.policies)} on "
            f"{names(created.repositories)}"
        )


@watch.command("list")
@limit_option
@json_option
@with_client
def watch_list(client: CargoholdClient, limit: int | None, as_json: bool) -> None:
    """List watches."""
    found = client.watches.list(limit)
    if as_json:
        print_json([w.to_json() for w in found])
        return
    print_table(["NAME", "REPOSITORIES", "POLICIES", "DESCRIPTION"], map(_watch_row, found))


@watch.command("show")
@click.argument("name")
@json_option
@with_client
def watch_show(client: CargoholdClient, name: str, as_json: bool) -> None:
    """Show one watch."""
    found = client.watches.get(name)
    if as_json:
        print_json(found.to_json())
        return
    fields = ["name", "repositories", "policies", "description"]
    rows = list(zip(fields, _watch_row(found), strict=True))
    print_fields([*rows, ("created", f"{when(found.created)} by {found.created_by}")])


@watch.command("delete")
@click.argument("name")
@with_client
def watch_delete(client: CargoholdClient, name: str) -> None:
    """Delete a watch (its policies stay)."""
    client.watches.delete(name)
    click.echo(f"deleted watch {name}")


__all__ = ["policy", "watch"]

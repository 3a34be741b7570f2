"""``cargohold retention create|list|show|delete|run``: which tags and untagged manifests of
docker repositories go, and runs of those policies, dry or real (admin)."""

from __future__ import annotations

import json
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
from cargohold.client.rest import CargoholdClient
from cargohold.client.retention import RetentionPolicy, RetentionRemoval, RetentionRunResult


@click.group()
@connection_options
def retention() -> None:
    """Manage retention policies: which tags and untagged manifests go (admin)."""


def rules_text(found: RetentionPolicy) -> str:
    parts = []
    for rule in found.rules:
        fields = rule.to_json()
        parts.append(" ".join(f"{k}={fields[k]}" for k in sorted(fields, key=_rule_order)))
    return "; ".join(parts)


def _rule_order(key: str) -> int:
    order = ("keepLast", "olderThanDays", "unusedDays", "tags", "untaggedOlderThanDays")
    return order.index(key) if key in order else len(order)


def _policy_row(found: RetentionPolicy) -> list[str]:
    return [
        found.id,
        found.name,
        names(found.repositories),
        found.images or "*",
        rules_text(found),
        yes_no(found.enabled),
    ]


def _rules(
    tags: str | None,
    keep_last: int | None,
    older_than_days: int | None,
    unused_days: int | None,
    untagged_days: int | None,
    raw: tuple[str, ...],
) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    if keep_last is not None or older_than_days is not None or unused_days is not None:
        if tags is None:
            raise click.UsageError(
                "--keep-last, --older-than-days and --unused-days need --tags PATTERN: a rule "
                "removes only the tags it names ('*' for every tag)"
            )
        rule: dict[str, Any] = {"tags": tags}
        if keep_last is not None:
            rule["keepLast"] = keep_last
        if older_than_days is not None:
            rule["olderThanDays"] = older_than_days
        if unused_days is not None:
            rule["unusedDays"] = unused_days
        rules.append(rule)
    elif tags is not None:
        raise click.UsageError(
            "--tags needs --keep-last N, --older-than-days D and/or --unused-days D"
        )
    if untagged_days is not None:
        rules.append({"untaggedOlderThanDays": untagged_days})
    for text in raw:
        try:
            parsed = json.loads(text)
        except ValueError:
            raise click.BadParameter(
                f"{text!r} is not a JSON object", param_hint="--rule"
            ) from None
        if not isinstance(parsed, dict):
            raise click.BadParameter(f"{text!r} is not a JSON object", param_hint="--rule")
        rules.append(parsed)
    if not rules:
        raise click.UsageError(
            "give a rule: --tags PATTERN with --keep-last N, --older-than-days D and/or "
            "--unused-days D, --untagged-older-than-days D, or --rule JSON"
        )
    return rules


@retention.command("create")
@click.argument("name")
@click.option(
    "--repo",
    "repositories",
    multiple=True,
    required=True,
    metavar="KEY",
    help="Docker repository key or pattern, e.g. dev or team-* (repeatable).",
)
@click.option("--images", metavar="PATTERN", help="Only images whose name matches, e.g. team/*.")
@click.option("--tags", metavar="PATTERN", help="The tags the rule may remove ('*': every tag).")
@click.option("--keep-last", type=click.IntRange(0), metavar="N", help="Keep the newest N.")
@click.option(
    "--older-than-days",
    type=click.IntRange(1),
    metavar="D",
    help="Remove those pushed over D days ago.",
)
@click.option(
    "--unused-days",
    type=click.IntRange(1),
    metavar="D",
    help="Remove those whose image nobody pulled for D days (never pulled: since pushed or "
    "cached), and the untagged manifests nobody pulled for D days.",
)
@click.option(
    "--untagged-older-than-days",
    "untagged_days",
    type=click.IntRange(1),
    metavar="D",
    help="Remove untagged manifests pushed over D days ago.",
)
@click.option(
    "--rule",
    "raw_rules",
    multiple=True,
    metavar="JSON",
    help='A further rule as the API writes it, e.g. \'{"tags": "pr-*", "olderThanDays": 14}\'.',
)
@click.option("--disabled", is_flag=True, help="Not run by the schedule (a run by name runs it).")
@click.option("--description", default="", help="What it is for.")
@json_option
@with_client
def retention_create(
    client: CargoholdClient,
    name: str,
    repositories: tuple[str, ...],
    images: str | None,
    tags: str | None,
    keep_last: int | None,
    older_than_days: int | None,
    unused_days: int | None,
    untagged_days: int | None,
    raw_rules: tuple[str, ...],
    disabled: bool,
    description: str,
    as_json: bool,
) -> None:
    """Create a retention policy; try it with `cargohold retention run --dry-run --policy NAME`."""
    rules = _rules(tags, keep_last, older_than_days, unused_days, untagged_days, raw_rules)
    created = client.retention.create(
        name, repositories, rules, images=images, description=description, enabled=not disabled
    )
    if as_json:
        print_json(created.to_json())
    else:
        click.echo(f"created retention policy {created.name} ({created.id}): {rules_text(created)}")


@retention.command("list")
@limit_option
@json_option
@with_client
def retention_list(client: CargoholdClient, limit: int | None, as_json: bool) -> None:
    """List retention policies."""
    found = client.retention.list(limit)
    if as_json:
        print_json([p.to_json() for p in found])
        return
    print_table(
        ["ID", "NAME", "REPOSITORIES", "IMAGES", "RULES", "ENABLED"], map(_policy_row, found)
    )


@retention.command("show")
@click.argument("policy", metavar="ID|NAME")
@json_option
@with_client
def retention_show(client: CargoholdClient, policy: str, as_json: bool) -> None:
    """Show one retention policy."""
    found = client.retention.get(policy)
    if as_json:
        print_json(found.to_json())
        return
    fields = ["id", "name", "repositories", "images", "rules", "enabled"]
    rows = list(zip(fields, _policy_row(found), strict=True))
    print_fields(
        [
            *rows,
            ("description", found.description or "-"),
            ("created", f"{when(found.created)} by {found.created_by}"),
        ]
    )


@retention.command("delete")
@click.argument("policy", metavar="ID|NAME")
@with_client
def retention_delete(client: CargoholdClient, policy: str) -> None:
    """Delete a retention policy."""
    client.retention.delete(policy)
    click.echo(f"deleted retention policy {policy}")


def _removal_row(found: RetentionRemoval) -> list[str]:
    what = (
        f"{found.image}:{found.tag}" if found.tag is not None else f"{found.image}@{found.digest}"
    )
    return [found.repository, what, found.policy, found.rule]


def summary(run: RetentionRunResult) -> str:
    counts = f"{run.tags} tags and {run.manifests} untagged manifests"
    if run.dry_run:
        return f"dry run: would remove {counts}; nothing changed"
    return f"removed {counts} (garbage collection reclaims their bytes)"


@retention.command("run")
@click.option("--dry-run", is_flag=True, help="Only list what would go; change nothing.")
@click.option("--policy", metavar="ID|NAME", help="Run only this policy, enabled or not.")
@json_option
@with_client
def retention_run(
    client: CargoholdClient, dry_run: bool, policy: str | None, as_json: bool
) -> None:
    """Run every enabled retention policy (or one): remove the tags and untagged manifests
    they name, or with --dry-run list them."""
    run = client.retention.run(dry_run=dry_run, policy=policy)
    if as_json:
        print_json(run.to_json())
        return
    if run.removed:
        print_table(
            ["REPOSITORY", "TAG OR MANIFEST", "POLICY", "RULE"], map(_removal_row, run.removed)
        )
    click.echo(summary(run))


__all__ = ["retention"]

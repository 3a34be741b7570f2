"""``cargohold webhook list|show|create|update|delete|deliveries``: where events are sent."""

from __future__ import annotations

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
from cargohold.cli.passwords import password_from_stdin, prompt_new_password
from cargohold.cli.remote import connection_options, with_client
from cargohold.client.rest import CargoholdClient
from cargohold.client.webhooks import Delivery, Webhook

EVENTS = ("push", "delete", "promote", "property", "scan", "vulnerable", "violation", "gc")


@click.group()
@connection_options
def webhook() -> None:
    """Manage webhooks: signed CloudEvents for pushes, deletes, promotions, properties."""


def _row(found: Webhook) -> list[str]:
    return [
        found.id,
        found.name,
        found.url,
        names(found.repositories),
        names(found.events),
        yes_no(found.enabled),
    ]


@webhook.command("list")
@limit_option
@json_option
@with_client
def webhook_list(client: CargoholdClient, limit: int | None, as_json: bool) -> None:
    """List webhooks (admin; secrets are never shown)."""
    hooks = client.webhooks.list(limit)
    if as_json:
        print_json([h.to_json() for h in hooks])
        return
    print_table(["ID", "NAME", "URL", "REPOSITORIES", "EVENTS", "ENABLED"], map(_row, hooks))


@webhook.command("show")
@click.argument("webhook_id", metavar="ID")
@json_option
@with_client
def webhook_show(client: CargoholdClient, webhook_id: str, as_json: bool) -> None:
    """Show one webhook."""
    found = client.webhooks.get(webhook_id)
    if as_json:
        print_json(found.to_json())
        return
    fields = ["id", "name", "url", "repositories", "events", "enabled"]
    rows = list(zip(fields, _row(found), strict=True))
    print_fields([*rows, ("created", f"{when(found.created)} by {found.created_by}")])


@webhook.command("create")
@click.argument("name")
@click.argument("target", metavar="URL")
@click.option(
    "--repo",
    "repositories",
    multiple=True,
    metavar="KEY",
    help="Repository key or pattern, e.g. dev or team-* (repeatable) [default: *].",
)
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(EVENTS),
    help="Event kind (repeatable) [default: push, delete, promote, property].",
)
@click.option("--secret-stdin", is_flag=True, help="Read the signing secret from standard input.")
@click.option("--disabled", is_flag=True, help="Create it switched off.")
@json_option
@with_client
def webhook_create(
    client: CargoholdClient,
    name: str,
    target: str,
    repositories: tuple[str, ...],
    events: tuple[str, ...],
    secret_stdin: bool,
    disabled: bool,
    as_json: bool,
) -> None:
    """Send events to URL, signed with a secret (asked for, or --secret-stdin)."""
    secret = password_from_stdin() if secret_stdin else prompt_new_password("Signing secret")
    created = client.webhooks.create(
        name,
        target,
        secret,
        repositories=repositories or ("*",),
        events=events or None,
        enabled=not disabled,
    )
    if as_json:
        print_json(created.to_json())
    else:
        click.echo(f"created webhook {created.id} ({created.name} → {created.url})")


@webhook.command("update")
@click.argument("webhook_id", metavar="ID")
@click.option("--enable/--disable", "enabled", default=None, help="Switch it on or off.")
@click.option("--target", "new_url", metavar="URL", help="A new URL to send events to.")
@click.option("--secret-stdin", is_flag=True, help="A new secret from standard input.")
@json_option
@with_client
def webhook_update(
    client: CargoholdClient,
    webhook_id: str,
    enabled: bool | None,
    new_url: str | None,
    secret_stdin: bool,
    as_json: bool,
) -> None:
    """Change a webhook."""
    changes: dict[str, object] = {}
    if enabled is not None:
        changes["enabled"] = enabled
    if new_url is not None:
        changes["url"] = new_url
    if secret_stdin:
        changes["secret"] = password_from_stdin()
    updated = client.webhooks.update(webhook_id, **changes)
    if as_json:
        print_json(updated.to_json())
    else:
        click.echo(f"updated webhook {updated.id}")


@webhook.command("delete")
@click.argument("webhook_id", metavar="ID")
@with_client
def webhook_delete(client: CargoholdClient, webhook_id: str) -> None:
    """Delete a webhook and its delivery log."""
    client.webhooks.delete(webhook_id)
    click.echo(f"deleted webhook {webhook_id}")


def _delivery_row(found: Delivery) -> list[str]:
    return [
        found.id,
        found.type.removeprefix("dev.cargohold."),
        f"{found.repository or '-'}/{found.subject}",
        found.state,
        str(found.attempts),
        "-" if found.status_code is None else str(found.status_code),
        when(found.created),
        found.error or "",
    ]


@webhook.command("deliveries")
@click.argument("webhook_id", metavar="ID")
@click.option("--state", type=click.Choice(("pending", "delivered", "failed")))
@limit_option
@json_option
@with_client
def webhook_deliveries(
    client: CargoholdClient, webhook_id: str, state: str | None, limit: int | None, as_json: bool
) -> None:
    """The delivery log of a webhook, newest first."""
    found = client.webhooks.deliveries(webhook_id, state, limit)
    if as_json:
        print_json([d.to_json() for d in found])
        return
    print_table(
        ["ID", "EVENT", "ARTIFACT", "STATE", "ATTEMPTS", "STATUS", "CREATED", "ERROR"],
        map(_delivery_row, found),
    )


__all__ = ["webhook"]

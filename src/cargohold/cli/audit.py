"""``cargohold audit``: who did what, when, from where (admin)."""

from __future__ import annotations

from datetime import datetime

import click

from cargohold.cli.output import json_option, print_json, print_table, when
from cargohold.cli.remote import with_client
from cargohold.cli.times import Instant
from cargohold.client.rest import CargoholdClient

DEFAULT_LIMIT = 100


@click.command()
@click.option("--principal", metavar="NAME", help="Only what this user did.")
@click.option("--action", help="Only this action, e.g. manifest.push or login.failed.")
@click.option("--repository", metavar="KEY", help="Only events in this repository.")
@click.option("--since", type=Instant(), help="From this time: RFC 3339, a date, or 2h (ago).")
@click.option("--until", type=Instant(), help="Up to this time, same forms as --since.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Show at most N events, newest first; 0 for all.",
)
@json_option
@with_client
def audit(
    client: CargoholdClient,
    principal: str | None,
    action: str | None,
    repository: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    as_json: bool,
) -> None:
    """Show the audit log, newest first."""
    events = client.audit.events(
        principal=principal,
        action=action,
        repository=repository,
        since=since,
        until=until,
        limit=limit or None,
    )
    if as_json:
        print_json([e.to_json() for e in events])
        return
    print_table(
        ["TIME", "PRINCIPAL", "ACTION", "TARGET", "RESULT", "STATUS", "CLIENT", "DETAIL"],
        (
            [
                when(e.time),
                e.principal,
                e.action,
                e.target,
                e.result,
                str(e.status),
                e.client,
                e.detail or "",
            ]
            for e in events
        ),
    )


__all__ = ["audit"]

"""``cargohold job list|show``: the background job queue (admin)."""

from __future__ import annotations

import json
from typing import Any

import click

from cargohold.cli.output import (
    json_option,
    limit_option,
    print_fields,
    print_json,
    print_table,
    when,
)
from cargohold.cli.remote import connection_options, with_client
from cargohold.client.rest import CargoholdClient
from cargohold.wire.jobs import Job


@click.group()
@connection_options
def job() -> None:
    """Watch background jobs (webhook deliveries, …)."""


# `--json` prints what it always has: not the lease, nor the result.
UNSHOWN = ("leaseOwner", "leaseUntil", "result")


def _json(found: Job) -> dict[str, Any]:
    return {key: value for key, value in found.to_json().items() if key not in UNSHOWN}


def _row(found: Job) -> list[str]:
    return [
        found.id,
        found.kind,
        found.state,
        f"{found.attempts}/{found.max_attempts}",
        when(found.created),
        found.last_error or "",
    ]


@job.command("list")
@click.option("--state", type=click.Choice(("queued", "running", "done", "failed")))
@click.option("--kind", help="Only jobs of this kind, e.g. webhook.deliver.")
@limit_option
@json_option
@with_client
def job_list(
    client: CargoholdClient, state: str | None, kind: str | None, limit: int | None, as_json: bool
) -> None:
    """List jobs, newest first [default: the last 100]."""
    jobs = client.jobs.list(state, kind, limit or 100)
    if as_json:
        print_json([_json(j) for j in jobs])
        return
    print_table(["ID", "KIND", "STATE", "ATTEMPTS", "CREATED", "LAST ERROR"], map(_row, jobs))


@job.command("show")
@click.argument("job_id", metavar="ID")
@json_option
@with_client
def job_show(client: CargoholdClient, job_id: str, as_json: bool) -> None:
    """Show one job."""
    found = client.jobs.get(job_id)
    if as_json:
        print_json(_json(found))
        return
    print_fields(
        [
            ("id", found.id),
            ("kind", found.kind),
            ("state", found.state),
            ("attempts", f"{found.attempts} of {found.max_attempts}"),
            ("payload", json.dumps(found.payload)),
            ("run after", when(found.run_after)),
            ("created", when(found.created)),
            ("finished", when(found.finished, "-")),
            ("last error", found.last_error or "-"),
            ("result", "-" if found.result is None else json.dumps(found.result)),
        ]
    )


__all__ = ["job"]

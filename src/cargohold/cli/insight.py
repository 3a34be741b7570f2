"""``cargohold scan|sbom|vulns|impact|affected``: what is inside an artifact, which advisories
affect it, and which artifacts hold a package.

An artifact is named by an image reference (``dev/team/app:1.4``, ``dev/team/app@sha256:…``),
a digest (``sha256:…``), or with ``--file`` a generic file (``generic-local/libs/x.jar``).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import click

from cargohold.cli.output import json_option, names, print_fields, print_json, print_table
from cargohold.cli.remote import with_client
from cargohold.cli.times import Instant
from cargohold.client.insight import Target
from cargohold.client.rest import CargoholdClient

SEVERITIES = ("NONE", "UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
POLL_SECONDS = 1.0
PENDING = "pending"


def _target(ref: str, as_file: bool) -> Target:
    if as_file:
        return Target(file=ref)
    if ref.startswith("sha256:"):
        return Target(digest=ref)
    return Target(image=ref)


def _ref_argument(command: Any) -> Any:
    command = click.option(
        "--file", "as_file", is_flag=True, help="REF is a generic file: REPOSITORY-KEY/PATH."
    )(command)
    command = click.option(
        "--wait",
        type=click.IntRange(min=0),
        default=0,
        metavar="SECONDS",
        help="Wait up to SECONDS for a pending scan to end [default: 0, do not wait].",
    )(command)
    return click.argument("ref")(command)


def _scanned(client: CargoholdClient, ref: str, as_file: bool, wait: int) -> dict[str, Any]:
    """The artifact's scan, waiting up to ``wait`` seconds while it is pending."""
    target = _target(ref, as_file)
    scan = client.insight.scan(target)
    deadline = time.monotonic() + wait
    while scan["status"] == PENDING and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
        scan = client.insight.scan(Target(digest=scan["digest"]))
    return scan


@click.command()
@_ref_argument
@click.option("--force", is_flag=True, help="Scan again even if it was (layers come from cache).")
@json_option
@with_client
def scan(
    client: CargoholdClient, ref: str, as_file: bool, wait: int, force: bool, as_json: bool
) -> None:
    """Ask for REF to be scanned (pushes and deploys are scanned anyway) and show its status."""
    status = client.insight.request_scan(_target(ref, as_file), force=force)
    if wait:
        status = _scanned(client, status["digest"], False, wait)
    if as_json:
        print_json(status)
        return
    _print_scan(status)


@click.command()
@_ref_argument
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["cyclonedx", "spdx"]),
    default="cyclonedx",
    show_default=True,
    help="CycloneDX 1.6 JSON or SPDX 2.3 JSON.",
)
@click.option("--all-layers", is_flag=True, help="Also what later layers deleted.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file."
)
@click.option(
    "--attach",
    is_flag=True,
    help="Also push it to the registry as an OCI referrer of the image (oras discover).",
)
@with_client
def sbom(
    client: CargoholdClient,
    ref: str,
    as_file: bool,
    wait: int,
    fmt: str,
    all_layers: bool,
    output: Path | None,
    attach: bool,
) -> None:
    """The SBOM of REF."""
    found = _scanned(client, ref, as_file, wait)
    if attach:
        if as_file or ref.startswith("sha256:"):
            raise click.UsageError("--attach needs an image reference: REPO/NAME:TAG")
        attached = client.insight.attach_sbom(ref, fmt)
        click.echo(f"attached {attached['digest']} to {attached['image']}", err=True)
    doc = client.insight.sbom(found["digest"], fmt, all_layers=all_layers)
    text = json.dumps(doc, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text)


@click.command()
@_ref_argument
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES[2:]),
    help="Exit with status 3 when a finding is this severe or worse (for pipelines).",
)
@json_option
@with_client
def vulns(
    client: CargoholdClient,
    ref: str,
    as_file: bool,
    wait: int,
    fail_on: str | None,
    as_json: bool,
) -> None:
    """The advisories that affect REF, worst first."""
    found = _scanned(client, ref, as_file, wait)
    report = client.insight.vulnerabilities(found["digest"])
    findings: list[dict[str, Any]] = report.get("findings", [])
    if as_json:
        print_json(report)
    else:
        print_table(
            ["ADVISORY", "SEVERITY", "PACKAGE", "VERSION", "FIXED IN", "ALIASES"],
            (
                [
                    f["advisory"],
                    f["severity"],
                    f["component"]["name"],
                    f["component"]["version"],
                    names(f["fixed_in"]),
                    names(f["aliases"]),
                ]
                for f in findings
            ),
        )
        click.echo(f"scan {report['status']}: {len(findings)} finding(s)", err=True)
        for reason in report.get("reasons", []):
            click.echo(f"  incomplete: {reason}", err=True)
    if fail_on is not None:
        worst = max((SEVERITIES.index(f["severity"]) for f in findings), default=-1)
        if worst >= SEVERITIES.index(fail_on):
            raise SystemExit(3)


@click.command()
@_ref_argument
@click.option("--all-layers", is_flag=True, help="Also what later layers deleted.")
@click.option(
    "--identity",
    "with_identity",
    is_flag=True,
    help="Also which rule named each package (jars: pom.properties, sha1-table, guess:…).",
)
@json_option
@with_client
def components(
    client: CargoholdClient,
    ref: str,
    as_file: bool,
    wait: int,
    all_layers: bool,
    with_identity: bool,
    as_json: bool,
) -> None:
    """The packages found in REF, with where each was found."""
    found = _scanned(client, ref, as_file, wait)
    items = client.insight.components(found["digest"], all_layers=all_layers)
    if as_json:
        print_json(items)
        return
    if with_identity:
        print_table(
            ["NAME", "VERSION", "ECOSYSTEM", "IDENTITY", "EVIDENCE"],
            (
                [c["name"], c["version"], c["ecosystem"], c.get("identity") or "-", c["evidence"]]
                for c in items
            ),
        )
        return
    print_table(
        ["NAME", "VERSION", "ECOSYSTEM", "EVIDENCE"],
        ([c["name"], c["version"], c["ecosystem"], c["evidence"]] for c in items),
    )


@click.command()
@click.option("--purl", help="A package: pkg:maven/org.apache.logging.log4j/log4j-core")
@click.option("--range", "range_", help="Only versions in it: '<2.17.1', '>=2.0,<2.17.1'.")
@click.option("--advisory", help="Affected by this advisory: an OSV id or an alias (CVE-…).")
@json_option
@with_client
def impact(
    client: CargoholdClient,
    purl: str | None,
    range_: str | None,
    advisory: str | None,
    as_json: bool,
) -> None:
    """Where-used: every image and file, in the repositories you may read, that holds a
    package (in a version range) or is affected by an advisory."""
    if (purl is None) == (advisory is None):
        raise click.UsageError("give either --purl (and optionally --range) or --advisory")
    items = list(client.insight.impact(purl=purl, range_=range_, advisory=advisory))
    if as_json:
        print_json(items)
        return
    print_table(
        ["WHERE", "PACKAGE", "VERSION", "EVIDENCE"],
        (
            [_where(loc), i["component"]["name"], i["component"]["version"], i["evidence"]]
            for i in items
            for loc in i["locations"]
        ),
    )


@click.command()
@click.option("--since", type=Instant(), required=True, help="RFC 3339, a date, or 2h (ago).")
@json_option
@with_client
def affected(client: CargoholdClient, since: Any, as_json: bool) -> None:
    """Artifacts that became affected by an advisory since a time (by a scan or an import)."""
    items = list(client.insight.affected(since.isoformat()))
    if as_json:
        print_json(items)
        return
    print_table(
        ["FOUND", "ADVISORY", "SEVERITY", "WHERE"],
        (
            [i["found"], i["advisory"], i["severity"], names(_where(w) for w in i["locations"])]
            for i in items
        ),
    )


def _where(location: dict[str, Any]) -> str:
    if location["type"] == "build":
        return f"build {location['path']}"
    base = f"{location['repository']}/{location['path']}"
    tags = location.get("tags") or []
    return f"{base}:{','.join(tags)}" if tags else base


def _print_scan(status: dict[str, Any]) -> None:
    print_fields(
        [
            ("digest", status["digest"]),
            ("name", status["name"]),
            ("status", status["status"]),
            ("scanned", status.get("scanned") or "-"),
            ("reasons", names(status.get("reasons", []))),
        ]
    )


__all__ = ["affected", "components", "impact", "sbom", "scan", "vulns"]

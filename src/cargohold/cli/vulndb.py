"""``cargohold vulndb import|show``: the advisory database (OSV records)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from cargohold.cli.output import json_option, names, print_fields, print_json
from cargohold.cli.remote import connection_options, with_client
from cargohold.client.rest import CargoholdClient
from cargohold.client.vulndb import ImportReport

ZIP_MAGIC = b"PK\x03\x04"
# A directory goes up in zips of at most this many bytes of records (the server takes 512 MiB).
BATCH_BYTES = 128 * 1024 * 1024


@click.group()
@connection_options
def vulndb() -> None:
    """The advisory database: import OSV records, show an advisory."""


@vulndb.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@json_option
@with_client
def vulndb_import(client: CargoholdClient, path: Path, as_json: bool) -> None:
    """Import OSV advisories (admin) from PATH: a zip like OSV.dev's all.zip, a JSON file
    (one record or an array), or a directory of *.json records. Importing again only adds
    new advisories and replaces those with a newer 'modified'."""
    if path.is_dir():
        reports = [client.vulndb.import_zip(batch) for batch in _zips(path)]
    else:
        data = path.read_bytes()
        send = client.vulndb.import_zip if data.startswith(ZIP_MAGIC) else client.vulndb.import_json
        reports = [send(data)]
    report = ImportReport(
        added=sum(r.added for r in reports),
        updated=sum(r.updated for r in reports),
        unchanged=sum(r.unchanged for r in reports),
        problems=tuple(p for r in reports for p in r.problems),
    )
    if as_json:
        print_json(report.to_json())
        return
    print_fields(
        [
            ("added", str(report.added)),
            ("updated", str(report.updated)),
            ("unchanged", str(report.unchanged)),
            ("problems", str(len(report.problems))),
        ]
    )
    for problem in report.problems:
        click.echo(f"  skipped {problem}", err=True)


@vulndb.command("show")
@click.argument("advisory_id", metavar="ID")
@json_option
@with_client
def vulndb_show(client: CargoholdClient, advisory_id: str, as_json: bool) -> None:
    """Show an advisory as stored: its OSV record and severity."""
    doc = client.vulndb.advisory(advisory_id)
    if as_json:
        print_json(doc)
        return
    print_fields(
        [
            ("id", str(doc.get("id", ""))),
            ("summary", str(doc.get("summary", ""))),
            ("severity", str(doc.get("severity", ""))),
            ("aliases", names(_strings(doc.get("aliases")))),
            ("modified", str(doc.get("modified", ""))),
            ("withdrawn", str(doc.get("withdrawn") or "-")),
            ("packages", names(_packages(doc.get("affected")))),
        ]
    )


def _zips(directory: Path) -> Iterator[bytes]:
    """The directory's *.json files (recursively, in name order) as zips of bounded size."""
    files = sorted(p for p in directory.rglob("*.json") if p.is_file())
    if not files:
        raise click.ClickException(f"{directory} holds no *.json files")
    buffer = io.BytesIO()
    archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)
    size = 0
    for file in files:
        data = file.read_bytes()
        if size and size + len(data) > BATCH_BYTES:
            archive.close()
            yield buffer.getvalue()
            buffer = io.BytesIO()
            archive = zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)
            size = 0
        archive.writestr(file.relative_to(directory).as_posix(), data)
        size += len(data)
    archive.close()
    yield buffer.getvalue()


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _packages(value: Any) -> list[str]:
    out: list[str] = []
    for entry in value if isinstance(value, list) else []:
        package = entry.get("package") if isinstance(entry, dict) else None
        if isinstance(package, dict):
            out.append(f"{package.get('ecosystem')}/{package.get('name')}")
    return out


__all__ = ["vulndb"]

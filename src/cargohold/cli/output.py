"""How commands print: aligned tables and field lists for people, ``--json`` for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import click

from cargohold.client.models import format_time

json_option = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (lists: one array of every item)."
)

limit_option = click.option("--limit", type=click.IntRange(min=1), help="Show at most N.")


def cell(value: str) -> str:
    """Text from the server made safe for a terminal: no escape sequences, no line breaks."""
    return "".join(c if c.isprintable() else "?" for c in value)


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def names(values: Iterable[str], empty: str = "-") -> str:
    return ", ".join(values) or empty


def when(value: datetime | None, empty: str = "never") -> str:
    return empty if value is None else format_time(value.replace(microsecond=0))


def size_text(size: int) -> str:
    """Bytes in the largest unit that keeps a whole number in front: 512 B, 1.5 MiB."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # not reached


def print_json(doc: Any) -> None:
    click.echo(json.dumps(doc, indent=2, ensure_ascii=False))


def print_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """Columns padded to their widest cell; the last column is not padded."""
    table = [list(headers), *([cell(v) for v in row] for row in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers) - 1)]
    for row in table:
        padded = [value.ljust(width) for value, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*padded, row[-1]]).rstrip())


def print_fields(fields: Sequence[tuple[str, str]]) -> None:
    """One ``name: value`` line per field, the values aligned."""
    width = max(len(name) for name, _ in fields) + 1
    for name, value in fields:
        click.echo(f"{name + ':':<{width}} {cell(value)}".rstrip())


__all__ = [
    "cell",
    "json_option",
    "limit_option",
    "names",
    "print_fields",
    "print_json",
    "print_table",
    "size_text",
    "when",
    "yes_no",
]

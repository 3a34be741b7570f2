"""Markdown tables and the little arithmetic the reports share."""

from __future__ import annotations

import math
from collections.abc import Sequence

MIB = 1024 * 1024


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values; NaN when there are none."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def number(value: float, digits: int = 1) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:,.{digits}f}"


def ratio(numerator: float, denominator: float) -> str:
    if math.isnan(numerator) or math.isnan(denominator) or denominator == 0:
        return "n/a"
    return f"{numerator / denominator:.2f}x"


def markdown(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join("-" * (w + 1) + ":" if i else ":" + "-" * (w + 1) for i, w in enumerate(widths))
        + "|"
    )
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


__all__ = ["MIB", "markdown", "number", "percentile", "ratio"]

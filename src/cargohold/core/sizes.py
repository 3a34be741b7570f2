"""Sizes in bytes as people write and read them: ``10GiB``, ``500 MB``, ``none``.

Decimal units (kB/KB, MB, GB, TB: powers of 1000) and binary ones (KiB, MiB, GiB, TiB: powers
of 1024), in any letter case; a bare whole number is bytes. Sizes are shown in binary units.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from cargohold.core.numbers import MAX_INT

UNITS = {
    "b": 1,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
    "kib": 1024,
    "mib": 1024**2,
    "gib": 1024**3,
    "tib": 1024**4,
}
NONE = "none"
_SIZE = re.compile(r"^\s*(\d{1,19}(?:\.\d{1,6})?)\s*([A-Za-z]{0,3})\s*$")
_SHOWN = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")
EXAMPLES = "e.g. 500MB, 10GiB, 1.5TB or 1048576 (bytes)"


def parse_size(text: str) -> int:
    """The bytes ``text`` says; ValueError, with a message a person can act on, otherwise."""
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or (unit and unit not in UNITS):
        raise ValueError(
            f"{text[:40]!r} is not a size: write a number and a unit, {EXAMPLES}; units: "
            "B, KB, MB, GB, TB (powers of 1000) and KiB, MiB, GiB, TiB (powers of 1024)"
        )
    try:
        value = Decimal(match.group(1)) * UNITS[unit or "b"]
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(f"{text[:40]!r} is not a size") from exc
    if value != value.to_integral_value():
        raise ValueError(f"{text[:40]!r} is not a whole number of bytes")
    if value > MAX_INT:
        raise ValueError(f"{text[:40]!r} is larger than any size cargohold can count")
    return int(value)


def parse_limit(text: str) -> int | None:
    """A size, or None for ``none`` (no limit)."""
    return None if text.strip().lower() == NONE else parse_size(text)


_DECIMAL = (("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("KB", 1000))


def human(size: int) -> str:
    """``size`` bytes as a person reads them: in the largest binary unit it fills (``1.5
    GiB``, ``512 B``), or in a decimal one when that says it exactly and a binary one does
    not (``500 MB``, as a quota is often written)."""
    if size % 1024:
        for unit, factor in _DECIMAL:
            if size >= factor and size % factor == 0:
                return f"{size // factor} {unit}"
    value = float(size)
    for unit in _SHOWN:
        if abs(value) < 1024 or unit == _SHOWN[-1]:
            if unit == "B":
                return f"{size} B"
            shown = f"{value:.2f}".rstrip("0").rstrip(".")
            return f"{shown} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["EXAMPLES", "NONE", "UNITS", "human", "parse_limit", "parse_size"]

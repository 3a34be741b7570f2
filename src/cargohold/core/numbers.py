"""Whole numbers a client writes in a header, a query parameter or a path, read with bounds.

``int()`` takes any Unicode digit and raises on a literal of more than 4,300 digits; a
client's number is instead a run of ASCII digits, read only when it cannot exceed a signed
64-bit integer, so an absurd value is a ``None`` the caller answers with its protocol's 4xx.
"""

from __future__ import annotations

MAX_INT = 2**63 - 1
_MAX_DIGITS = len(str(MAX_INT))


def bounded_int(text: str | None, maximum: int = MAX_INT) -> int | None:
    """The value of ``text`` if it is ASCII digits (surrounding blanks allowed) from 0 to
    ``maximum``; else None."""
    if text is None:
        return None
    digits = text.strip(" \t")
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    digits = digits.lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS:
        return None
    value = int(digits)
    return value if value <= maximum else None


__all__ = ["MAX_INT", "bounded_int"]

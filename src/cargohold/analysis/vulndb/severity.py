"""One severity word per finding: from the CVSS base score of the newest CVSS vector the
record carries (CVSS_V4, then CVSS_V3, then CVSS_V2), else from the database's own word
(``database_specific.severity``: GHSA's MODERATE counts as MEDIUM), else UNKNOWN.

CVSS v3 / v4 scores map to NONE (0.0), LOW, MEDIUM, HIGH, CRITICAL (9.0+); CVSS v2 has no
CRITICAL (NVD's v2 scale: LOW < 4.0 ≤ MEDIUM < 7.0 ≤ HIGH).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from cvss import CVSS2, CVSS3, CVSS4, CVSSError

LEVELS: Final = ("NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL")
UNKNOWN: Final = "UNKNOWN"

_CALCULATORS: Final[tuple[tuple[str, Any], ...]] = (
    ("CVSS_V4", CVSS4),
    ("CVSS_V3", CVSS3),
    ("CVSS_V2", CVSS2),
)

# Words databases use, in their own scales, mapped onto LEVELS.
_WORDS: Final = {
    "NONE": "NONE",
    "NEGLIGIBLE": "LOW",
    "UNIMPORTANT": "LOW",
    "LOW": "LOW",
    "MODERATE": "MEDIUM",
    "MEDIUM": "MEDIUM",
    "IMPORTANT": "HIGH",
    "HIGH": "HIGH",
    "CRITICAL": "CRITICAL",
}


def cvss_severity(kind: str, vector: str) -> str | None:
    """The severity of one CVSS vector (``kind`` is CVSS_V2, CVSS_V3 or CVSS_V4), or None
    when the kind is not CVSS or the vector does not parse."""
    for name, calculator in _CALCULATORS:
        if name == kind:
            try:
                word = calculator(vector).severities()[0]
            except (CVSSError, ValueError, KeyError, IndexError):
                return None
            return _WORDS.get(str(word).upper())
    return None


def base_score(kind: str, vector: str) -> float | None:
    """The CVSS base score of one vector, or None when the kind is not CVSS or the vector
    does not parse."""
    for name, calculator in _CALCULATORS:
        if name == kind:
            try:
                return float(calculator(vector).scores()[0])
            except (CVSSError, ValueError, KeyError, IndexError, TypeError):
                return None
    return None


def database_severity(word: str | None) -> str | None:
    """A database's own severity word on our scale, or None when it is not one we know."""
    return _WORDS.get(word.strip().upper()) if word else None


def rate(scores: Iterable[tuple[str, str]], fallback: str | None = None) -> str:
    """The severity of a record from its ``(type, score)`` entries and, when none of them is
    a usable CVSS vector, its database-specific word."""
    entries = list(scores)
    for name, _ in _CALCULATORS:
        for kind, vector in entries:
            if kind == name:
                level = cvss_severity(kind, vector)
                if level is not None:
                    return level
    for kind, word in entries:
        if kind == "Ubuntu":  # a qualitative score: "medium", "high", …
            level = database_severity(word)
            if level is not None:
                return level
    return database_severity(fallback) or UNKNOWN


__all__ = ["LEVELS", "UNKNOWN", "base_score", "cvss_severity", "database_severity", "rate"]

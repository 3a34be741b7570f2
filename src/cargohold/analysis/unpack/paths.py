"""Member names made safe: normalized, relative, never above the root of their archive."""

from __future__ import annotations

import posixpath


def inside(name: str) -> str | None:
    """``name`` normalized (no ``./``, no ``a/../``, no trailing slash), or None when it is
    absolute or climbs out of its archive with ``..``. The root itself is ``""``."""
    if name.startswith("/") or name[1:3] == ":/" or name[1:3] == ":\\":
        return None
    path = posixpath.normpath(name) if name else "."
    if path == ".." or path.startswith("../"):
        return None
    return "" if path == "." else path


def why_not_inside(evidence: str, name: str) -> str:
    """The reason ``inside(name)`` refused a member of the archive at ``evidence``."""
    if name.startswith("/") or name[1:3] in (":/", ":\\"):
        return f"{evidence}: entry {name!r} has an absolute path: skipped"
    return f"{evidence}: entry {name!r} escapes the archive with '..': skipped"


__all__ = ["inside", "why_not_inside"]

"""Paths of generic files inside a repository: ``path/to/file.tgz``, no leading slash.

A path names one place and only one: no empty, ``.`` or ``..`` segments, no backslash (a
Windows separator), no NUL or other control character, at most 1024 characters. Folders
are the paths' prefixes; the root folder is the empty path.
"""

from __future__ import annotations

from cargohold.core.errors import BadRequest

MAX_PATH_LENGTH = 1024


def check_path(path: str, *, folder: bool = False) -> str:
    """``path`` when it is a valid file path (or, with ``folder``, also the root "")."""
    if path == "" and folder:
        return path
    why = _fault(path)
    if why is not None:
        raise BadRequest(f"invalid path {path[:200]!r}: {why}", {"path": path[:200]})
    return path


def _fault(path: str) -> str | None:
    if not path:
        return "a file path is required"
    if len(path) > MAX_PATH_LENGTH:
        return f"longer than {MAX_PATH_LENGTH} characters"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in path):
        return "control characters (NUL, line breaks, ...) are not allowed"
    if "\\" in path:
        return "backslashes are not allowed; separate folders with '/'"
    for segment in path.split("/"):
        if segment == "":
            return "empty segments ('//', or a leading or trailing '/') are not allowed"
        if segment in (".", ".."):
            return "'.' and '..' segments are not allowed"
    return None


def join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def relocate(path: str, source: str, target: str) -> str:
    """Where ``path``, inside ``source`` (a file or a folder), lands when ``source`` becomes
    ``target``."""
    if path == source:
        return target
    rest = path[len(source) + 1 :] if source else path
    return join(target, rest)


def overlaps(first: str, second: str) -> bool:
    """Whether one path is the other or inside it ("" holds everything)."""
    return (
        first == second
        or not first
        or not second
        or first.startswith(second + "/")
        or second.startswith(first + "/")
    )


__all__ = ["MAX_PATH_LENGTH", "check_path", "join", "overlaps", "relocate"]

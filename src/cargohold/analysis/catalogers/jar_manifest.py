"""What a jar says of itself in text: ``pom.properties`` and ``META-INF/MANIFEST.MF``."""

from __future__ import annotations


def properties(text: str) -> dict[str, str]:
    """A Java .properties file's simple ``key=value`` lines."""
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "!")) and "=" in line:
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def manifest(text: str) -> dict[str, str]:
    """The main section of a MANIFEST.MF (72-byte lines continued by a leading space)."""
    found: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line:
            break  # the main section ends at the first blank line
        if line.startswith(" ") and last is not None:
            found[last] += line[1:]
        elif ":" in line:
            key, _, value = line.partition(":")
            last = key.strip()
            found[last] = value.strip()
    return found


def symbolic_name(fields: dict[str, str]) -> str:
    """The OSGi Bundle-SymbolicName without its directives (``;singleton:=true``)."""
    return fields.get("Bundle-SymbolicName", "").split(";", 1)[0].strip()


__all__ = ["manifest", "properties", "symbolic_name"]

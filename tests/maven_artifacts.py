"""Maven artifacts for the tests: a POM and a jar made in memory, as a build would make them."""

from __future__ import annotations

import io
import zipfile


def pom(group: str, artifact: str, version: str, *, packaging: str = "jar") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        "  <modelVersion>4.0.0</modelVersion>\n"
        f"  <groupId>{group}</groupId>\n"
        f"  <artifactId>{artifact}</artifactId>\n"
        f"  <version>{version}</version>\n"
        f"  <packaging>{packaging}</packaging>\n"
        "</project>\n"
    ).encode()


def jar(entries: dict[str, bytes] | None = None) -> bytes:
    """A jar holding ``entries`` (a manifest when none are given)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in (entries or {"META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n"}).items():
            archive.writestr(name, data)
    return out.getvalue()


def bundling(group: str, artifact: str, version: str) -> bytes:
    """A jar that bundles ``group:artifact:version`` (its pom.properties, as a shaded jar
    carries it): what the java cataloger finds in it."""
    properties = f"groupId={group}\nartifactId={artifact}\nversion={version}\n".encode()
    return jar(
        {
            "META-INF/MANIFEST.MF": b"Manifest-Version: 1.0\n",
            f"META-INF/maven/{group}/{artifact}/pom.properties": properties,
        }
    )


__all__ = ["bundling", "jar", "pom"]

"""npm packages: every ``node_modules/NAME/package.json`` and
``node_modules/@SCOPE/NAME/package.json`` at any depth (so a second version nested under
``node_modules/a/node_modules/b`` counts too), and the ``package/package.json`` of an npm
tarball. A project's own package.json, and package.json files deeper inside a package (such
as ``dist/esm/package.json``), are not installed packages and are skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from packageurl import PackageURL

from cargohold.analysis.model import Cataloger, Component, FileEntry

NAME = "npm"


def installed(path: str) -> bool:
    """Whether ``path`` is where npm puts an installed package's manifest."""
    parts = path.split("/")
    if parts == ["package", "package.json"]:
        return True
    if len(parts) >= 3 and parts[-3] == "node_modules":
        return not parts[-2].startswith((".", "@"))
    return (
        len(parts) >= 4
        and parts[-4] == "node_modules"
        and parts[-3].startswith("@")
        and not parts[-2].startswith(".")
    )


def licenses(manifest: dict[str, Any]) -> tuple[str, ...]:
    """``license`` as a string (SPDX expression) or a legacy ``{"type": …}`` object, or the
    legacy ``licenses`` list."""
    declared: list[Any] = [manifest.get("license")]
    legacy = manifest.get("licenses")
    if isinstance(legacy, list):
        declared.extend(legacy)
    found: list[str] = []
    for item in declared:
        value = item.get("type") if isinstance(item, dict) else item
        if isinstance(value, str) and value.strip():
            found.append(value.strip())
    return tuple(dict.fromkeys(found))


def parse(entry: FileEntry) -> Iterator[Component]:
    if not installed(entry.path):
        return
    try:
        manifest = json.loads(entry.read())
    except ValueError:
        return
    if not isinstance(manifest, dict):
        return
    full_name, version = manifest.get("name"), manifest.get("version")
    if not isinstance(full_name, str) or not isinstance(version, str) or not full_name:
        return
    scope, _, name = full_name.rpartition("/")
    purl = PackageURL(type="npm", namespace=scope or None, name=name, version=version)
    yield Component(
        name=full_name,
        version=version,
        ecosystem="npm",
        purl=purl.to_string(),
        cataloger=NAME,
        evidence=entry.evidence,
        licenses=licenses(manifest),
    )


CATALOGER = Cataloger(
    name=NAME,
    version="1",
    patterns=(
        "node_modules/*/package.json",
        "*/node_modules/*/package.json",
        "package/package.json",
    ),
    parse=parse,
)

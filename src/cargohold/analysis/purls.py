"""The identity of a package across its versions: a purl's type, namespace and name, the
key where-used searches go by."""

from __future__ import annotations

import re

from packageurl import PackageURL


def purl_key(purl: str) -> str:
    """``pkg:TYPE/NAMESPACE/NAME`` of ``purl``, without version, qualifiers or subpath, in the
    type's canonical spelling (PyPI names PEP 503-normalized). Raises ValueError when
    ``purl`` is not a package URL."""
    parsed = PackageURL.from_string(purl)
    kind = parsed.type.lower()
    name = parsed.name
    namespace = parsed.namespace
    if kind == "pypi":
        name = re.sub(r"[-_.]+", "-", name).lower()
    elif kind in {"deb", "rpm", "apk", "github"}:
        name = name.lower()
    return str(PackageURL(type=kind, namespace=namespace, name=name).to_string())


__all__ = ["purl_key"]

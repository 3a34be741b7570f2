"""The catalogers, listed explicitly: each finds one ecosystem's components in the files
whose paths match its patterns (or that start with its magic bytes)."""

from __future__ import annotations

from cargohold.analysis.catalogers import apk, deb_package, dpkg, golang, java, npm, python
from cargohold.analysis.model import Cataloger

CATALOGERS: tuple[Cataloger, ...] = (
    dpkg.CATALOGER,
    apk.CATALOGER,
    python.CATALOGER,
    npm.CATALOGER,
    java.CATALOGER,
    golang.CATALOGER,
    deb_package.CATALOGER,
)

__all__ = ["CATALOGERS"]

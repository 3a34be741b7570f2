"""The catalogers, listed explicitly: each finds one ecosystem's components in the files
whose paths match its patterns (or that start with its magic bytes)."""

from __future__ import annotations

from cargohold.analysis.catalogers import apk, deb_package, dpkg, golang, java, npm, python, rpm
from cargohold.analysis.model import Cataloger

CATALOGERS: tuple[Cataloger, ...] = (
    dpkg.CATALOGER,
    apk.CATALOGER,
    rpm.DB_CATALOGER,
    python.CATALOGER,
    npm.CATALOGER,
    java.CATALOGER,
    golang.CATALOGER,
    deb_package.CATALOGER,
    rpm.FILE_CATALOGER,
)

__all__ = ["CATALOGERS"]

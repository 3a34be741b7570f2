"""The values analysis works with: the files a cataloger is shown, the components it finds,
and what an inventory says about its own completeness."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

# Evidence paths go through nested archives with "!/":
# sha256:ab12…!/opt/app/web.war!/WEB-INF/lib/x.jar
NESTED = "!/"


class FileEntry(Protocol):
    """One regular file as a cataloger sees it, wherever it was found."""

    @property
    def path(self) -> str:
        """The path inside its archive or image, without a leading slash: ``usr/lib/x.so``."""

    @property
    def evidence(self) -> str:
        """Where it is, through every archive around it: ``sha256:…!/app/web.war!/x.jar``."""

    @property
    def size(self) -> int: ...

    @property
    def mode(self) -> int:
        """Unix permission bits (0 when the archive does not say)."""

    def read(self, limit: int | None = None) -> bytes:
        """The content, or its first ``limit`` bytes. Raises TooLarge past the size limit."""


@dataclass(frozen=True, slots=True)
class Component:
    """A package found in an artifact."""

    name: str
    version: str
    ecosystem: str  # the OSV ecosystem: Debian, Alpine, PyPI, npm, Maven, Go, Red Hat, …
    purl: str  # a package URL made with packageurl-python
    cataloger: str
    evidence: str  # see FileEntry.evidence
    licenses: tuple[str, ...] = ()
    source_name: str | None = None  # Debian: the source package advisories name
    source_version: str | None = None
    # Which rule of its cataloger named it, when the cataloger has several of unequal trust
    # (java: "pom.properties", "sha1-table", "manifest:Bundle-SymbolicName", "guess:…").
    identity: str = ""


@dataclass(frozen=True, slots=True)
class Cataloger:
    """Finds components in the files whose paths match ``patterns`` (fnmatch globs on the
    path inside its archive; ``*/`` prefixes match at any depth) or that start with
    ``magic``. Its ``version`` is part of the cache key of every stored result."""

    name: str
    version: str
    patterns: tuple[str, ...]
    parse: Callable[[FileEntry], Iterable[Component]]
    magic: bytes | None = None


@dataclass(frozen=True, slots=True)
class Inventory:
    """Everything found in one artifact, and whether the search was complete: a limit hit
    (depth, size, count, a bomb, a path escaping its archive) makes it incomplete, with the
    reasons, and never passes for a clean result."""

    components: tuple[Component, ...]
    incomplete: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not self.incomplete


class TooLarge(Exception):
    """A file or archive is past a configured limit."""


__all__ = ["NESTED", "Cataloger", "Component", "FileEntry", "Inventory", "TooLarge"]

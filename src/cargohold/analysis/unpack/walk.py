"""Offer every file, and every file inside every nested archive, to the catalogers that want
it; gather what they find into one Inventory that says whether the search was complete."""

from __future__ import annotations

import contextlib
import fnmatch
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from cargohold.analysis.model import Cataloger, Component, FileEntry, Inventory
from cargohold.analysis.unpack.archives import HEAD_BYTES, kind_of, members
from cargohold.analysis.unpack.limits import Budget, Limits


def _variants(pattern: str) -> Iterable[str]:
    """``*/x`` also matches ``x`` at the root; ``a/**/b`` also matches ``a/b``."""
    yield pattern
    if pattern.startswith("*/"):
        yield pattern[2:]
    if "**/" in pattern:
        yield from _variants(pattern.replace("**/", "", 1))


class _Matcher:
    def __init__(self, cataloger: Cataloger) -> None:
        self.cataloger = cataloger
        globs = {variant for pattern in cataloger.patterns for variant in _variants(pattern)}
        self._regex = (
            re.compile("|".join(fnmatch.translate(glob) for glob in sorted(globs)))
            if globs
            else None
        )

    def wants(self, path: str, head: bytes) -> bool:
        magic = self.cataloger.magic
        if magic is not None and head.startswith(magic):
            return True
        return self._regex is not None and self._regex.match(path) is not None


class _Walk:
    def __init__(self, catalogers: Sequence[Cataloger], tmp_dir: Path, budget: Budget) -> None:
        self.matchers = [_Matcher(cataloger) for cataloger in catalogers]
        self.tmp_dir = tmp_dir
        self.budget = budget
        self.found: dict[tuple[str, str], Component] = {}

    def visit(self, entry: FileEntry, depth: int) -> None:
        if not self.budget.take_file(entry.evidence):
            return
        try:
            head = entry.read(HEAD_BYTES)
        except Exception as exc:
            self.budget.note(f"{entry.evidence} could not be read ({exc}): not searched")
            return
        for matcher in self.matchers:
            if matcher.wants(entry.path, head):
                self.offer(matcher.cataloger, entry)
        kind = kind_of(head, entry.path)
        if kind is None or not self.budget.depth_ok(entry.evidence, depth):
            return
        with contextlib.closing(members(entry, kind, self.tmp_dir, self.budget)) as inner:
            for nested in inner:
                self.visit(nested, depth + 1)
                if self.budget.files_exhausted:
                    return

    def offer(self, cataloger: Cataloger, entry: FileEntry) -> None:
        try:
            components = list(cataloger.parse(entry))
        except Exception as exc:
            self.budget.note(
                f"cataloger {cataloger.name} failed on {entry.evidence}: "
                f"{type(exc).__name__}: {exc}"
            )
            return
        for component in components:
            self.found.setdefault((component.purl, component.evidence), component)


def walk(
    entries: Iterable[FileEntry],
    catalogers: Sequence[Cataloger],
    limits: Limits,
    *,
    tmp_dir: Path,
    budget: Budget | None = None,
) -> Inventory:
    """The components ``catalogers`` find in ``entries`` and, recursively, in the archives
    among them, each (purl, evidence) once. Spools go to ``tmp_dir``. Pass the ``budget`` that
    unpacked the entries (``apply_layers``) so its reasons reach the inventory too."""
    budget = budget if budget is not None else Budget(limits)
    state = _Walk(catalogers, tmp_dir, budget)
    for entry in entries:
        state.visit(entry, 0)
        if budget.files_exhausted:
            break
    return Inventory(tuple(state.found.values()), budget.reasons)


__all__ = ["walk"]

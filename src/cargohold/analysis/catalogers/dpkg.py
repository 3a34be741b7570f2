"""Debian packages installed in a root file system: ``var/lib/dpkg/status`` (every package
whose status is "install ok installed") and distroless images' ``var/lib/dpkg/status.d/*``
(one file per package, without a Status field)."""

from __future__ import annotations

from collections.abc import Iterator

from cargohold.analysis.catalogers.debian_control import component, paragraphs
from cargohold.analysis.model import Cataloger, Component, FileEntry

NAME = "dpkg"

_STATUS = "var/lib/dpkg/status"
_STATUS_D = "var/lib/dpkg/status.d/"


def parse(entry: FileEntry) -> Iterator[Component]:
    path = entry.path
    in_status_d = _STATUS_D in f"/{path}"
    if in_status_d and path.endswith(".md5sums"):
        return
    text = entry.read().decode("utf-8", errors="replace")
    for fields in paragraphs(text):
        status = fields.get("Status")
        if status is None and not in_status_d:
            continue
        if status is not None and status.split()[-1:] != ["installed"]:
            continue
        if found := component(fields, NAME, entry.evidence):
            yield found


CATALOGER = Cataloger(
    name=NAME,
    version="1",
    patterns=(_STATUS, f"*/{_STATUS}", f"{_STATUS_D}*", f"*/{_STATUS_D}*"),
    parse=parse,
)

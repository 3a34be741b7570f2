"""The advisory database through the REST API: import OSV records, read them back."""

from __future__ import annotations

from typing import Any

from cargohold.client.errors import UnexpectedResponse
from cargohold.client.session import RestSession, segment
from cargohold.wire.insight import VulnDbImport as ImportReport
from cargohold.wire.insight import VulnDbStats

# Imports of whole ecosystems take a while to parse and store on the server.
IMPORT_TIMEOUT = 600.0


class VulnDb:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def import_zip(self, data: bytes) -> ImportReport:
        """Import a zip of OSV records (the format of OSV.dev's ``all.zip``) (admin)."""
        return self._import(data, "application/zip")

    def import_json(self, data: bytes) -> ImportReport:
        """Import one OSV record or a JSON array of them (admin)."""
        return self._import(data, "application/json")

    def advisory(self, id: str) -> dict[str, Any]:
        """One stored advisory: its OSV record as imported, plus ``severity``."""
        doc = self._session.call("GET", f"/vulndb/advisories/{segment(id)}")
        if not isinstance(doc, dict):
            raise UnexpectedResponse(200, f"advisory {id!r}: the answer is not an object")
        return doc

    def count(self) -> int:
        return self._session.call_object("GET", "/vulndb", VulnDbStats).count

    def _import(self, data: bytes, content_type: str) -> ImportReport:
        return self._session.call_object(
            "POST",
            "/vulndb/import",
            ImportReport,
            content=data,
            content_type=content_type,
            timeout=IMPORT_TIMEOUT,
        )


__all__ = ["IMPORT_TIMEOUT", "ImportReport", "VulnDb"]

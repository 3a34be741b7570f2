"""The advisory database through the REST API: import OSV records, read them back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cargohold.client.errors import UnexpectedResponse
from cargohold.client.session import RestSession, segment

# Imports of whole ecosystems take a while to parse and store on the server.
IMPORT_TIMEOUT = 600.0


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    updated: int
    unchanged: int
    problems: tuple[str, ...]

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ImportReport:
        return cls(
            added=int(doc["added"]),
            updated=int(doc["updated"]),
            unchanged=int(doc["unchanged"]),
            problems=tuple(str(p) for p in doc["problems"]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "problems": list(self.problems),
        }


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
        doc = self._session.call("GET", "/vulndb")
        if not isinstance(doc, dict) or not isinstance(doc.get("count"), int):
            raise UnexpectedResponse(200, "GET /vulndb did not answer with a count")
        return int(doc["count"])

    def _import(self, data: bytes, content_type: str) -> ImportReport:
        doc = self._session.call(
            "POST",
            "/vulndb/import",
            content=data,
            content_type=content_type,
            timeout=IMPORT_TIMEOUT,
        )
        if not isinstance(doc, dict):
            raise UnexpectedResponse(200, "POST /vulndb/import did not answer with an object")
        try:
            return ImportReport.from_json(doc)
        except (KeyError, TypeError, ValueError) as exc:
            raise UnexpectedResponse(200, f"POST /vulndb/import answered {exc}") from exc


__all__ = ["IMPORT_TIMEOUT", "ImportReport", "VulnDb"]

"""Insight through the REST API: scans, SBOMs, vulnerabilities and where-used."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cargohold.client.errors import UnexpectedResponse
from cargohold.client.session import RestSession, segment


@dataclass(frozen=True, slots=True)
class Target:
    """What an artifact is named by: an image reference, a file (KEY/PATH) or a digest."""

    image: str | None = None
    file: str | None = None
    digest: str | None = None

    def query(self) -> dict[str, str]:
        if self.image is not None:
            return {"image": self.image}
        if self.file is not None:
            return {"file": self.file}
        raise ValueError("a digest is not looked up by query")


class Insight:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def request_scan(self, target: Target, *, force: bool = False) -> dict[str, Any]:
        """Ask for the artifact to be scanned (again, with ``force``); its scan status."""
        body: dict[str, Any] = {"force": force}
        if target.digest is not None:
            body["digest"] = target.digest
        else:
            body.update(target.query())
        return self._object("POST", "/scan", body=body)

    def scan(self, target: Target) -> dict[str, Any]:
        """The artifact's scan status, with its digest."""
        if target.digest is not None:
            return self._object("GET", f"/artifacts/{segment(target.digest)}/scan")
        return self._object("GET", "/scan", params=target.query())

    def sbom(self, digest: str, fmt: str, *, all_layers: bool = False) -> dict[str, Any]:
        params = {"format": fmt, "layers": "all" if all_layers else "visible"}
        return self._object("GET", f"/artifacts/{segment(digest)}/sbom", params=params)

    def attach_sbom(self, image: str, fmt: str) -> dict[str, Any]:
        """Push the image's SBOM as an OCI referrer of it; the referrer's digest."""
        return self._object("POST", "/sbom/attach", body={"image": image, "format": fmt})

    def components(self, digest: str, *, all_layers: bool = False) -> list[dict[str, Any]]:
        params = {"layers": "all" if all_layers else "visible"}
        doc = self._object("GET", f"/artifacts/{segment(digest)}/components", params=params)
        return _items(doc, "components")

    def vulnerabilities(self, digest: str) -> dict[str, Any]:
        return self._object("GET", f"/artifacts/{segment(digest)}/vulnerabilities")

    def impact(
        self, *, purl: str | None = None, range_: str | None = None, advisory: str | None = None
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in (("purl", purl), ("range", range_), ("advisory", advisory)) if v}
        return _items(self._object("GET", "/impact", params=params), "impact")

    def affected(self, since: str, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Findings first found at ``since`` or later (RFC 3339), oldest first."""
        return self._session.iter_items("/affected", dict, {"since": since}, limit)

    def _object(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        doc = self._session.call(method, path, body=body, params=params)
        if not isinstance(doc, dict):
            raise UnexpectedResponse(200, f"{method} {path} did not answer with an object")
        return doc


def _items(doc: dict[str, Any], what: str) -> list[dict[str, Any]]:
    items = doc.get("items")
    if not isinstance(items, list):
        raise UnexpectedResponse(200, f"the {what} answer holds no items")
    return [item for item in items if isinstance(item, dict)]


__all__ = ["Insight", "Target"]

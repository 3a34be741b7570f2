"""Garbage collection through the REST API (admin)."""

from __future__ import annotations

from cargohold.client.session import RestSession, segment
from cargohold.wire.gc import BlobReferences, GcReport


class GarbageCollection:
    def __init__(self, session: RestSession) -> None:
        self._session = session

    def run(self, dry_run: bool = False, timeout: float | None = 3600) -> GcReport:
        """Collect now and wait for the report (a collection of a big instance takes a
        while: ``timeout`` seconds at most)."""
        return self._session.call_object(
            "POST", "/gc", GcReport, body={"dryRun": dry_run}, timeout=timeout
        )

    def references(self, digest: str) -> BlobReferences:
        """Why the blob is still here, or when it goes."""
        return self._session.call_object(
            "GET", f"/blobs/{segment(digest)}/references", BlobReferences
        )


__all__ = ["BlobReferences", "GarbageCollection", "GcReport"]

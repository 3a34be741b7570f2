"""The operations of storage usage."""

from __future__ import annotations

from cargohold.api.rest.openapi.operations import Json, get
from cargohold.wire.storage import StorageReport


def storage_paths() -> Json:
    return {
        "/storage": {
            "get": get(
                "getStorage",
                "Report the bytes each repository and image holds, the bytes stored and the "
                "deduplication ratio.",
                "Any signed-in user: administrators see the whole instance, anyone else the "
                "repositories they may read, without the instance's totals.",
                StorageReport,
                "401 429",
            )
        },
    }


__all__ = ["storage_paths"]

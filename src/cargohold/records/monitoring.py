"""What monitoring reads: the instance's levels measured at scrape time, and the outcome of
a readiness check."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PoolStatus:
    """One process's database connection pool."""

    in_use: int
    idle: int
    limit: int  # the most it may hold open


@dataclass(frozen=True, slots=True)
class InstanceLevels:
    """What the whole instance holds, the same seen from any node."""

    jobs: dict[tuple[str, str], int]  # (kind, state) -> jobs
    open_uploads: int  # upload sessions started and not yet finished, cancelled or expired
    storage_bytes: dict[str, int]  # repository -> bytes of the distinct blobs it holds


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str  # database, database_writable, migrations, blob_store
    ok: bool
    detail: str  # what was found, or why it failed, for a person to read


__all__ = ["CheckResult", "InstanceLevels", "PoolStatus"]

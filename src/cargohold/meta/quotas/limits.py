"""The quota check: would this blob take its repository, or the instance, over its quota?

A write calls ``QuotaQueries.enforce`` in its own transaction before it links a blob or
places a file: the check is then serialised with every other one on the same repository
(and, when the instance has a quota, with every other one on the instance), so two racing
pushes cannot both pass, and a refusal rolls back the whole write. ``admit`` makes the same
check without locking, before the work, when the size is known up front.

Content the repository already holds costs nothing and is never refused; nothing is read
but the repository's quota when neither it nor the instance has one.

Locks are taken repository first, then the instance: every transaction that takes both
takes them in that order, after every repository lock it needs, so none waits on another.
"""

from __future__ import annotations

import sqlalchemy as sa

from cargohold.core.errors import QuotaExceeded
from cargohold.core.sizes import human
from cargohold.meta.database import reading
from cargohold.meta.quotas import usage
from cargohold.meta.schema import repositories
from cargohold.meta.upsert import serialize_writes
from cargohold.records.generic import GenericFileRecord
from cargohold.records.storage import ImageUsage, StorageUsage

# What serialises the checks of the instance's quota: no repository key has a "*".
INSTANCE_LOCK = "*instance*"


def exceeded(repository: str | None, quota: int, used: int, adding: int) -> QuotaExceeded:
    """The refusal, in words: whose quota, how large, how much is used, what the push adds."""
    if repository is None:
        whose, hint = "the instance", "or raise quota_bytes (CARGOHOLD_QUOTA_BYTES)"
    else:
        whose = f"repository {repository!r}"
        hint = f"or raise the quota with `cargohold repo update {repository} --quota SIZE`"
    return QuotaExceeded(
        f"quota exceeded: {whose} has a quota of {human(quota)} and uses {human(used)}; "
        f"this push would add {human(adding)}. Delete what is no longer needed (the space "
        f"comes back with garbage collection) {hint}",
        {
            "repository": repository,
            "scope": "instance" if repository is None else "repository",
            "quotaBytes": quota,
            "usedBytes": used,
            "addingBytes": adding,
        },
    )


class QuotaQueries:
    def __init__(self, engine: sa.Engine, instance_bytes: int | None = None) -> None:
        self._engine = engine
        self._instance = instance_bytes

    @property
    def instance_bytes(self) -> int | None:
        """The instance's quota (the setting ``quota_bytes``); None: none."""
        return self._instance

    def enforce(
        self,
        connection: sa.Connection,
        repository: str,
        digest: str,
        size: int,
        path: str | None = None,
    ) -> None:
        """Raise QuotaExceeded, inside the write's transaction ``connection`` and before it
        writes, if adding the blob ``digest`` of ``size`` bytes to ``repository`` (as the file
        at ``path``, which then no longer holds what it held) exceeds a quota."""
        check(connection, self._instance, repository, digest, size, path, lock=True)

    def enforce_file(self, connection: sa.Connection, record: GenericFileRecord) -> None:
        """``enforce`` for the file ``record`` about to be placed."""
        self.enforce(connection, record.repository, record.digest, record.size, record.path)

    def admit(
        self, repository: str, digest: str | None, size: int, path: str | None = None
    ) -> None:
        """The same check before the work, without locking (the write checks again): a
        ``digest`` not known yet counts as content the repository does not hold."""
        with reading(self._engine) as connection:
            check(connection, self._instance, repository, digest, size, path, lock=False)

    def usage(self, repository: str) -> int:
        with reading(self._engine) as connection:
            return usage.repository_usage(connection, repository)

    def usage_by_repository(self, keys: list[str] | None = None) -> dict[str, int]:
        """The usage of the repositories ``keys`` (None: all) that hold anything."""
        with reading(self._engine) as connection:
            return usage.usage_by_repository(connection, keys)

    def report(self) -> StorageUsage:
        with reading(self._engine) as connection:
            by_repository = usage.usage_by_repository(connection)
            images = [ImageUsage(*row) for row in usage.usage_by_image(connection)]
            stored_bytes, stored_blobs = usage.stored(connection)
        return StorageUsage(by_repository, images, stored_bytes, stored_blobs)


def check(
    connection: sa.Connection,
    instance: int | None,
    repository: str,
    digest: str | None,
    size: int,
    path: str | None,
    *,
    lock: bool,
) -> None:
    quota = connection.execute(
        sa.select(repositories.c.quota_bytes).where(repositories.c.key == repository)
    ).scalar()
    if quota is None and instance is None:
        return
    if lock:
        serialize_writes(connection, [repository])
        if instance is not None:
            serialize_writes(connection, [INSTANCE_LOCK])
    if quota is not None and (digest is None or not usage.holds(connection, repository, digest)):
        used = usage.repository_usage(connection, repository)
        freed = 0
        if path is not None and digest is not None:
            freed = usage.freed_by_replacing(connection, repository, path, digest)
        if used - freed + size > quota:
            raise exceeded(repository, quota, used, size)
    if instance is not None and (digest is None or not usage.is_stored(connection, digest)):
        stored_bytes, _ = usage.stored(connection)
        if stored_bytes + size > instance:
            raise exceeded(None, instance, stored_bytes, size)


__all__ = ["INSTANCE_LOCK", "QuotaQueries", "check", "exceeded"]

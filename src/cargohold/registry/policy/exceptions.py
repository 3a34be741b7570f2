"""Exceptions to policies: an admin lets one artifact (by digest) through despite one
advisory (an OSV id or any of its aliases), or one denied license (``license:NAME``), for a
limited time, under one policy or all of them, with a reason. Each grant and revoke is in the
audit log; an exception stops applying the moment it expires, and stays listed (as expired)
until it is revoked.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from anyio import to_thread

from cargohold.core.digest import digest_field
from cargohold.core.errors import BadRequest, ResourceUnknown
from cargohold.meta.store import MetadataStore
from cargohold.records.policy import ExceptionRecord

MAX_EXCEPTION_SECONDS = 90 * 86400
MAX_REASON = 2000
MAX_ADVISORY = 140


class PolicyExceptions:
    def __init__(self, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._clock = clock

    async def grant(
        self,
        *,
        digest: str,
        advisory: str,
        reason: str,
        created_by: str,
        policy: str | None = None,
        expires_at: float | None = None,
        expires_in: float | None = None,
    ) -> ExceptionRecord:
        """An exception until ``expires_at`` (or ``expires_in`` seconds from now), at most
        90 days ahead."""
        now = self._clock()
        checked = digest_field(digest)
        advisory = advisory.strip()
        if not 0 < len(advisory) <= MAX_ADVISORY or any(c.isspace() for c in advisory):
            raise BadRequest(
                f"'advisory' must be an OSV id or alias (e.g. CVE-2021-44228) or license:NAME, "
                f"1-{MAX_ADVISORY} characters without spaces"
            )
        reason = reason.strip()
        if not 0 < len(reason) <= MAX_REASON:
            raise BadRequest(f"'reason' is required: say why, in 1-{MAX_REASON} characters")
        until = _expiry(now, expires_at, expires_in)
        if (
            policy is not None
            and await to_thread.run_sync(self._meta.policies.get_policy, policy) is None
        ):
            raise ResourceUnknown(f"policy {policy[:128]!r} does not exist")
        stored = await to_thread.run_sync(self._meta.impact.locations, [checked])
        scanned = await to_thread.run_sync(self._meta.scans.get, checked)
        if not stored and scanned is None:
            raise ResourceUnknown(f"no image or file has digest {checked}")
        record = ExceptionRecord(
            id=secrets.token_hex(8),
            digest=checked,
            advisory=advisory,
            policy=policy,
            reason=reason,
            expires_at=until,
            created_at=now,
            created_by=created_by,
        )
        await to_thread.run_sync(self._meta.policies.add_exception, record)
        return record

    async def get(self, exception_id: str) -> ExceptionRecord:
        record = await to_thread.run_sync(self._meta.policies.get_exception, exception_id)
        if record is None:
            raise ResourceUnknown(f"policy exception {exception_id[:40]!r} does not exist")
        return record

    async def page(
        self,
        *,
        digest: str | None,
        expired: bool | None,
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[ExceptionRecord]:
        """Exceptions newest first; ``expired`` True or False keeps only those."""
        now = self._clock()

        def load() -> list[ExceptionRecord]:
            return self._meta.policies.exceptions_page(
                digest=digest, expired=expired, now=now, before=before, limit=limit
            )

        return await to_thread.run_sync(load)

    async def revoke(self, exception_id: str) -> None:
        if not await to_thread.run_sync(self._meta.policies.delete_exception, exception_id):
            raise ResourceUnknown(f"policy exception {exception_id[:40]!r} does not exist")

    def expired(self, record: ExceptionRecord) -> bool:
        return record.expires_at <= self._clock()


def _expiry(now: float, expires_at: float | None, expires_in: float | None) -> float:
    if (expires_at is None) == (expires_in is None):
        raise BadRequest(
            "an exception is time-limited: give 'expires' (an RFC 3339 time) or 'expiresIn' "
            f"(seconds), at most {MAX_EXCEPTION_SECONDS // 86400} days ahead"
        )
    until = expires_at if expires_at is not None else now + (expires_in or 0)
    if until <= now:
        raise BadRequest("the exception would expire before it starts: give a later time")
    if until - now > MAX_EXCEPTION_SECONDS:
        raise BadRequest(
            f"an exception may last at most {MAX_EXCEPTION_SECONDS // 86400} days "
            f"({MAX_EXCEPTION_SECONDS} seconds)"
        )
    return until


__all__ = ["MAX_EXCEPTION_SECONDS", "PolicyExceptions"]

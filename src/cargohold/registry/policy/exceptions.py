"""Exceptions to policies: an admin lets one artifact (by digest) through despite one
advisory (an OSV id or any of its aliases), or one denied license (``license:NAME``), for a
limited time, under one policy or all of them, with a reason. Exceptions are for
administrators only; each grant and revoke commits its audit record with it. An exception
stops applying the moment it expires, and stays listed (as expired) until it is revoked.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from anyio import to_thread

from cargohold.core.digest import digest_field
from cargohold.core.errors import BadRequest, ResourceUnknown
from cargohold.meta.store import MetadataStore
from cargohold.records.policy import ExceptionRecord
from cargohold.registry.identity.access import AccessControl
from cargohold.registry.identity.audit import Actor, AuditLog
from cargohold.registry.identity.permissions import Principal

MAX_EXCEPTION_SECONDS = 90 * 86400
MAX_REASON = 2000
MAX_ADVISORY = 140


@dataclass(frozen=True, slots=True)
class NewException:
    """What an administrator asks for: an exception until ``expires_at`` (or ``expires_in``
    seconds from now), under ``policy`` (None: every policy)."""

    digest: str
    advisory: str
    reason: str
    policy: str | None = None
    expires_at: float | None = None
    expires_in: float | None = None


class PolicyExceptions:
    """Exceptions to policies, granted, listed and revoked by administrators."""

    def __init__(
        self,
        meta: MetadataStore,
        clock: Callable[[], float],
        access: AccessControl,
        audit: AuditLog,
    ) -> None:
        self._meta = meta
        self._clock = clock
        self._access = access
        self._audit = audit

    async def grant(
        self, actor: Actor, read_exception: Callable[[], Awaitable[NewException]]
    ) -> ExceptionRecord:
        """Grant the exception ``read_exception`` returns (read once the caller may), at
        most 90 days ahead."""
        admin = self._access.require_admin(actor.principal)
        new = await read_exception()
        now = self._clock()
        checked = digest_field(new.digest)
        advisory = new.advisory.strip()
        if not 0 < len(advisory) <= MAX_ADVISORY or any(c.isspace() for c in advisory):
            raise BadRequest(
                f"'advisory' must be an OSV id or alias (e.g. CVE-2021-44228) or license:NAME, "
                f"1-{MAX_ADVISORY} characters without spaces"
            )
        reason = new.reason.strip()
        if not 0 < len(reason) <= MAX_REASON:
            raise BadRequest(f"'reason' is required: say why, in 1-{MAX_REASON} characters")
        until = _expiry(now, new.expires_at, new.expires_in)
        policy = new.policy
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
            created_by=admin.name,
        )
        target = f"policies/exceptions/{record.id}"
        effects = self._audit.entry(actor, "policy-exception.grant", target, status=201)
        await to_thread.run_sync(self._meta.policies.add_exception, record, effects)
        return record

    async def get(self, principal: Principal | None, exception_id: str) -> ExceptionRecord:
        self._access.require_admin(principal)
        record = await to_thread.run_sync(self._meta.policies.get_exception, exception_id)
        if record is None:
            raise ResourceUnknown(f"policy exception {exception_id[:40]!r} does not exist")
        return record

    async def page(
        self,
        principal: Principal | None,
        *,
        digest: str | None,
        expired: bool | None,
        before: tuple[float, str] | None,
        limit: int,
    ) -> list[ExceptionRecord]:
        """Exceptions newest first; ``expired`` True or False keeps only those."""
        self._access.require_admin(principal)
        now = self._clock()

        def load() -> list[ExceptionRecord]:
            return self._meta.policies.exceptions_page(
                digest=digest, expired=expired, now=now, before=before, limit=limit
            )

        return await to_thread.run_sync(load)

    async def revoke(self, actor: Actor, exception_id: str) -> None:
        self._access.require_admin(actor.principal)
        target = f"policies/exceptions/{exception_id}"
        effects = self._audit.entry(actor, "policy-exception.revoke", target, status=204)
        deleted = await to_thread.run_sync(
            self._meta.policies.delete_exception, exception_id, effects
        )
        if not deleted:
            raise ResourceUnknown(f"policy exception {exception_id[:40]!r} does not exist")

    def expired(self, record: ExceptionRecord) -> bool:
        """Whether ``record`` no longer applies (it stays listed until it is revoked)."""
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


__all__ = ["MAX_EXCEPTION_SECONDS", "NewException", "PolicyExceptions"]

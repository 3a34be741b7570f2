"""The audit log: every write, every admin action and every failed login, with who did it,
with which token, from where, and what came of it.

A use case puts the record of what it did into the effects of its own write (``entry``),
so the record commits with the change. A refusal, which changes nothing, is recorded on its
own by the protocol that renders it (``record``: a malformed request or a bad password is
refused before any use case runs), and never fails the request it describes: a record that
cannot be written (a full disk) is reported in the server log instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from anyio import to_thread

from cargohold.core.errors import StorageFull
from cargohold.meta.effects import Effects
from cargohold.meta.store import MetadataStore
from cargohold.records.identity import AuditFilter, AuditRecord
from cargohold.registry.identity.permissions import Principal

log = logging.getLogger("cargohold.audit")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does a use case (None: anonymous) and from which address."""

    principal: Principal | None
    client: str = "unknown"

    @property
    def name(self) -> str:
        principal = self.principal
        return principal.name if principal is not None and principal.name else "anonymous"


def result_of(status: int) -> str:
    if status < 400:
        return "ok"
    return {401: "unauthorized", 403: "denied", 404: "not-found", 429: "throttled"}.get(
        status, "failed"
    )


class AuditLog:
    def __init__(self, meta: MetadataStore, clock: Callable[[], float]) -> None:
        self._meta = meta
        self._clock = clock

    def entry(
        self,
        actor: Actor,
        action: str,
        target: str,
        *,
        status: int = 200,
        repository: str | None = None,
        detail: str | None = None,
    ) -> Effects:
        """The record of ``action``, to commit with the write that does it (``detail``:
        what it removed, in words)."""
        record = self._record(actor.principal, action, target, status, actor.client, repository)
        if detail is not None:
            record = replace(record, detail=detail[:1000])
        return Effects(record.time, audit=(record,))

    def entry_of(self, name: str, action: str, target: str, *, status: int, client: str) -> Effects:
        """``entry`` for a change made on behalf of ``name`` before it holds a principal (an
        account made by its first login through the user directory)."""
        record = self._record(name, action, target, status, client, None)
        return Effects(record.time, audit=(record,))

    async def record(
        self,
        principal: Principal | str | None,
        action: str,
        target: str,
        *,
        status: int,
        client: str,
        repository: str | None = None,
    ) -> None:
        """Record ``action`` on its own, now."""
        entry = self._record(principal, action, target, status, client, repository)
        try:
            await to_thread.run_sync(self._meta.effects.commit, Effects(entry.time, audit=(entry,)))
        except StorageFull as exc:
            log.warning("audit record of %s on %s not written: %s", action, entry.target, exc)
        except Exception:
            log.exception("audit record of %s on %s not written", action, entry.target)

    def _record(
        self,
        principal: Principal | str | None,
        action: str,
        target: str,
        status: int,
        client: str,
        repository: str | None,
    ) -> AuditRecord:
        if isinstance(principal, Principal):
            name, token_id = principal.name, principal.token_id
        else:
            name, token_id = principal or "", None
        return AuditRecord(
            time=self._clock(),
            principal=name or "anonymous",
            token_id=token_id,
            action=action,
            target=target[:1000],
            repository=repository,
            status=status,
            result=result_of(status),
            client=client[:64],
        )

    async def query(self, where: AuditFilter, before: int | None, limit: int) -> list[AuditRecord]:
        return await to_thread.run_sync(self._meta.audit.query, where, before, limit)


__all__ = ["Actor", "AuditLog", "result_of"]
